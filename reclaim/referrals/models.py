"""Consented closed-loop referrals between organisations, their history and notifications.

A referral names the survivor, the sending organisation, the recipient organisation (the one a
consent names) and the data categories to share. It holds no survivor data itself: the share
packet is built at read time from the consented categories only (see `packets.py`).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reclaim.core.models import Organisation

from .lifecycle import ReasonCode, ReferralStatus


class Referral(models.Model):
    # Sender side: the survivor record's scope (core.access.scope). Recipient side: rows
    # addressed to the user's organisation (core.access.received_scope).
    access_survivor_field = "survivor"
    access_recipient_field = "recipient"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survivor = models.ForeignKey(
        "survivors.Survivor", on_delete=models.CASCADE, related_name="referrals"
    )
    # The sending organisation (the survivor's).
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="referrals_received"
    )
    # The directory service chosen, and its name as it was when the referral was made.
    service_id = models.UUIDField(null=True, blank=True)
    service_name = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=30, default="referral")
    categories = models.JSONField()
    status = models.CharField(
        max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # The recipient's first answer (received, accepted or rejected); overdue until then.
    responded_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "status"]),
            models.Index(fields=["survivor", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk}"


class ReferralEvent(models.Model):
    """One step of a referral's history: who moved it from which status to which, and why."""

    class Via(models.TextChoices):
        WEB = "web", _("Web page")
        API = "api", _("API")
        FHIR = "fhir", _("FHIR Task from a partner system")
        SYSTEM = "system", _("Reclaim itself (the record was erased)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    by_organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(max_length=30, choices=ReasonCode.choices, blank=True)
    # Staff are told not to put personal data here; both organisations read it.
    reason_note = models.CharField(max_length=500, blank=True)
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.WEB)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class Notification(models.Model):
    """An in-app notice for one user. Carries a kind code and ids only, never personal data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referral_notifications"
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, null=True, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"notification {self.kind}"
