"""The contract other apps rely on: get_service and service_summary."""

from __future__ import annotations

import uuid

import pytest

from reclaim.core.errors import NotFound
from reclaim.directory import services
from tests.directory.factories import DirectoryOrganizationFactory, make_service


def test_service_summary_names_the_receiving_platform_organisation(home_org):
    provider = DirectoryOrganizationFactory(name="Casa Segura", platform_organisation=home_org)
    service = make_service(
        name="Emergency shelter",
        organization=provider,
        types=("safe_housing", "counseling"),
        languages=("es", "en"),
    )

    summary = services.service_summary(services.get_service(service.pk))

    assert summary == {
        "id": service.pk,
        "name": "Emergency shelter",
        "organization_id": provider.pk,
        "organization_name": "Casa Segura",
        "platform_organisation_id": home_org.pk,
        "service_types": ["counseling", "safe_housing"],
        "languages": ["en", "es"],
        "status": "active",
    }


def test_service_without_platform_link_has_no_platform_organisation():
    service = make_service()
    assert services.service_summary(service)["platform_organisation_id"] is None


@pytest.mark.parametrize("service_id", [uuid.uuid4(), "not-a-uuid", None])
def test_get_service_raises_not_found_for_unknown_ids(service_id):
    make_service()
    with pytest.raises(NotFound):
        services.get_service(service_id)
