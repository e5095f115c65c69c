"""The referral app's domain errors. reclaim/api.py and core.views map every DomainError once."""

from __future__ import annotations

from reclaim.core.errors import Conflict, Forbidden


class TransitionNotAllowed(Conflict):
    """The lifecycle does not allow this step from the referral's current status."""

    code = "transition_not_allowed"
    default_detail = "This step is not allowed for the referral in its current status."


class PacketClosed(Forbidden):
    """The referral is no longer open, so the recipient may not read the share packet."""

    code = "packet_closed"
    default_detail = "This referral is closed; its shared information is no longer available."
