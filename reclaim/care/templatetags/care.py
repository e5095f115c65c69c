"""The care link on the survivor record's tab bar, carrying the safety alert.

The record page belongs to the survivors app; this tag lets it show the care link (and an
open safety follow-up, which must not be missed) without the survivors app importing care.
"""

from __future__ import annotations

from typing import Any

from django import template

from reclaim.core.errors import DomainError

from .. import services

register = template.Library()


@register.inclusion_tag("care/_record_link.html", takes_context=True)
def care_record_link(context: Any, survivor: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    try:
        alerts = len(services.open_safety_follow_ups(survivor, by=user))
    except DomainError:  # no care access (the link then leads to a 404 as well)
        alerts = 0
    return {"survivor": survivor, "safety_alerts": alerts}
