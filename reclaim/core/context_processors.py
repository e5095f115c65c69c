from typing import Any

from django.conf import settings
from django.http import HttpRequest

from . import access, permissions


def reclaim(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    is_staff = bool(user and user.is_authenticated and access.is_staff_user(user))
    return {
        "demo_mode": settings.DEMO,
        "demo_mfa_relaxed": settings.RECLAIM_DEMO_RELAX_MFA,
        "is_staff_user": is_staff,
        # Records, caseload and search: not for partner staff, mentors or program managers.
        "keeps_records": bool(
            is_staff and access.organisations_where(user, permissions.SURVIVOR_VIEW)
        ),
        "can_create_records": bool(
            is_staff and access.organisations_where(user, permissions.SURVIVOR_CREATE)
        ),
        "can_review": bool(
            is_staff and access.organisations_where(user, permissions.BREAK_GLASS_REVIEW)
        ),
        # people administration: the "People" link for organisation admins
        "can_manage_people": bool(
            is_staff and access.organisations_where(user, permissions.ORG_MANAGE)
        ),
    }
