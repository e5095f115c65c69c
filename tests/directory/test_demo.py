"""The demo directory: about 30 services, valid, linked to the demo organisations, idempotent."""

from __future__ import annotations

from reclaim.directory import services
from reclaim.directory.models import Organization, Service
from tests.factories import OrganisationFactory


def test_seed_directory_creates_about_thirty_linked_services_and_is_idempotent():
    home = OrganisationFactory(name="Harbor House")

    first = services.seed_directory([home])
    again = services.seed_directory([home])

    assert first.rejected == []
    assert again.rejected == []
    assert 25 <= Service.objects.count() <= 35
    assert again.created["service"] == 0
    assert Organization.objects.get(name="Harbor House").platform_organisation == home
    shelter = Service.objects.get(name="Emergency shelter")
    assert shelter.gender_eligibility == "women"
    assert shelter.capacity_available == 3
