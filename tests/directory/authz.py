"""The directory's rows of the authorisation matrix (tests/test_authorization_matrix.py).

Any staff member searches and matches; org admins edit, link and import; a provider's own
staff (here: the partner organisation, linked to the directory entry) report capacity; the
HSDS read API is public; "Find services" opens a survivor's record, so it follows the record.
"""

from __future__ import annotations

from typing import Any

from tests.authz_common import FORBIDDEN, NOT_FOUND, OK, PERSONAS, expect

POLICY = {
    "directory_public": dict.fromkeys(PERSONAS, OK),
    "directory_staff": expect(OK),
    "directory_edit": expect(FORBIDDEN, org_admin=OK),
    "directory_capacity": expect(FORBIDDEN, org_admin=OK, partner_staff=OK, outsider=OK),
    "directory_record": expect(
        OK, other_caseworker=NOT_FOUND, outsider=NOT_FOUND, partner_staff=NOT_FOUND
    ),
}

MATRIX = {
    ("GET", "directory/"): "directory_staff",
    ("GET", "directory/services/new/"): "directory_edit",
    ("GET", "directory/services/<uuid:service_id>/"): "directory_staff",
    ("GET", "directory/services/<uuid:service_id>/edit/"): "directory_edit",
    ("POST", "directory/services/<uuid:service_id>/capacity/"): "directory_capacity",
    ("GET", "directory/import/"): "directory_edit",
    ("GET", "directory/find/<uuid:survivor_id>/"): "directory_record",
    ("GET", "hsds/"): "directory_public",
    ("GET", "hsds/services"): "directory_public",
    ("GET", "hsds/services/<uuid:service_id>"): "directory_public",
    ("GET", "hsds/organizations"): "directory_public",
    ("GET", "hsds/organizations/<uuid:organization_id>"): "directory_public",
    ("GET", "/api/v1/directory/services"): "directory_staff",
    ("POST", "/api/v1/directory/services"): "directory_edit",
    ("GET", "/api/v1/directory/service-types"): "directory_staff",
    ("GET", "/api/v1/directory/services/{service_id}"): "directory_staff",
    ("PATCH", "/api/v1/directory/services/{service_id}"): "directory_edit",
    ("DELETE", "/api/v1/directory/services/{service_id}"): "directory_edit",
    ("PUT", "/api/v1/directory/services/{service_id}/capacity"): "directory_capacity",
    ("PATCH", "/api/v1/directory/organizations/{organization_id}"): "directory_edit",
    ("POST", "/api/v1/directory/import"): "directory_edit",
    ("POST", "/api/v1/directory/match"): "directory_staff",
}

BODIES = {
    ("POST", "/api/v1/directory/services"): {"name": "Night shelter"},
    ("PATCH", "/api/v1/directory/services/{service_id}"): {"name": "Renamed shelter"},
    ("PUT", "/api/v1/directory/services/{service_id}/capacity"): {"available": 3},
    ("PATCH", "/api/v1/directory/organizations/{organization_id}"): {
        "platform_organisation_id": "{partner_org_id}"
    },
    ("POST", "/api/v1/directory/match"): {"needs": ["housing"], "languages": ["es"]},
}


def make_ids(people: dict[str, Any], ids: dict[str, Any]) -> dict[str, Any]:
    """A provider linked to the partner organisation, with one shelter."""
    from tests.directory.factories import DirectoryOrganizationFactory, make_service

    provider = DirectoryOrganizationFactory(
        name="Matrix Shelter Org", platform_organisation=people["partner_org"]
    )
    service = make_service(name="Matrix shelter", organization=provider)
    return {"service_id": service.pk, "organization_id": provider.pk}
