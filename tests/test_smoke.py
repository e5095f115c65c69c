import datetime

from reclaim.core.models import Membership, Organisation, Role, User
from reclaim.survivors import services


def test_case_manager_creates_and_reads_survivor():
    org = Organisation.objects.create(name="Harbor", org_type="NGO")
    user = User.objects.create_user("cm", password="x")
    Membership.objects.create(user=user, organisation=org, role=Role.CASE_MANAGER)
    survivor = services.create_survivor(
        by=user,
        organisation=org,
        profile={
            "alias": "Rosa",
            "legal_name": "Rosa Pérez",
            "date_of_birth": datetime.date(1990, 1, 2),
        },
    )
    fetched = services.get_survivor(survivor.pk, by=user)
    assert services.read_profile(fetched)["legal_name"] == "Rosa Pérez"
    assert services.find_possible_duplicates(
        by=user, organisation=org, legal_name="rosa perez", date_of_birth=datetime.date(1990, 1, 2)
    ) == [survivor.reference]
