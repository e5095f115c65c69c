"""Core's people-administration rows of the authorisation matrix.

Only organisation admins manage people, in their own organisation. The lists answer 403 to
anyone who administers no organisation (like the supervision queues); one member or team of
an organisation the caller does not administer does not exist for them (404).
"""

from __future__ import annotations

from typing import Any

from tests.authz_common import FORBIDDEN, NOT_FOUND, OK, expect

POLICY = {
    "people_admin": expect(FORBIDDEN, org_admin=OK),
    "people_member": expect(NOT_FOUND, org_admin=OK),
}

_M = "organisation/people/<uuid:membership_id>/"
_A = "/api/v1/organisation"
MATRIX = {
    ("GET", "organisation/people/"): "people_admin",
    ("GET", _M): "people_member",
    ("GET", _M + "deactivate/"): "people_member",
    ("POST", _M + "reactivate/"): "people_member",
    ("GET", _M + "reset-password/"): "people_member",
    ("GET", _M + "reset-mfa/"): "people_member",
    ("GET", "organisation/teams/"): "people_admin",
    ("GET", "organisation/teams/<uuid:team_id>/"): "people_member",
    ("GET", _A + "/members"): "people_admin",
    ("POST", _A + "/members"): "people_admin",
    ("GET", _A + "/members/{membership_id}"): "people_member",
    ("PATCH", _A + "/members/{membership_id}"): "people_member",
    ("POST", _A + "/members/{membership_id}/deactivate"): "people_member",
    ("POST", _A + "/members/{membership_id}/reactivate"): "people_member",
    ("POST", _A + "/members/{membership_id}/reset-password"): "people_member",
    ("POST", _A + "/members/{membership_id}/reset-mfa"): "people_member",
    ("GET", _A + "/teams"): "people_admin",
    ("POST", _A + "/teams"): "people_admin",
    ("PATCH", _A + "/teams/{team_id}"): "people_member",
}
BODIES = {
    ("POST", _A + "/members"): {"username": "new.staff", "role": "case_manager"},
    ("PATCH", _A + "/members/{membership_id}"): {"role": "supervisor"},
    ("POST", _A + "/teams"): {"name": "South"},
    ("PATCH", _A + "/teams/{team_id}"): {"name": "North-east"},
}


def make_ids(people: dict[str, Any], ids: dict[str, Any]) -> dict[str, Any]:
    """The teammate's membership (a case manager of the home organisation) and its team."""
    from reclaim.core.models import Membership

    membership = Membership.objects.get(user=people["teammate"])
    return {"membership_id": membership.pk, "team_id": membership.team_id}
