"""The survivor record: profile, safe-contact preferences, cases (enrolments) and consents.

Identifying and sensitive fields are EncryptedFields sealed with the survivor's own data key;
each is tagged with the data category that consents and exports speak in.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from reclaim.core.fields import EncryptedField
from reclaim.core.models import Organisation

from .picklists import (
    CaseStatus,
    ClosureReason,
    ConsentMethod,
    ConsentPurpose,
    ContactChannel,
)


class Survivor(models.Model):
    access_survivor_field = ""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="survivors"
    )
    # A short random code staff can say on the phone; carries no personal data.
    reference = models.CharField(max_length=12, unique=True)
    alias = EncryptedField(category="identity")
    legal_name = EncryptedField(category="identity")
    preferred_name = EncryptedField(category="identity")
    pronouns = EncryptedField(category="identity")
    date_of_birth = EncryptedField(category="identity", kind="date")
    gender = EncryptedField(category="identity")
    languages = EncryptedField(category="identity", kind="json")
    citizenship = EncryptedField(category="legal_immigration", kind="json")
    country_of_origin = EncryptedField(category="legal_immigration")
    phone = EncryptedField(category="contact")
    email = EncryptedField(category="contact")
    address = EncryptedField(category="location")
    code_word = EncryptedField(category="contact")
    intake_date = models.DateField()
    # Keyed blind indexes (HMAC) for exact-match search without plaintext.
    alias_index = models.CharField(max_length=64, blank=True, db_index=True)
    name_dob_index = models.CharField(max_length=64, blank=True, db_index=True)
    portal_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survivor_record",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Staff are told not to put personal data here; it explains the erasure to auditors.
    erasure_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-intake_date", "reference"]
        indexes = [models.Index(fields=["organisation", "intake_date"])]

    def __str__(self) -> str:
        return self.reference

    def sealing_owner_id(self) -> uuid.UUID:
        return self.id

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class SafeContactPreference(models.Model):
    """How the organisation may reach the survivor on one channel without putting them at risk."""

    access_survivor_field = "survivor"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survivor = models.ForeignKey(
        Survivor, on_delete=models.CASCADE, related_name="contact_preferences"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=20, choices=ContactChannel.choices)
    may_contact = models.BooleanField(default=False)
    # Messages on this channel must not mention the organisation or the reason.
    vague_only = models.BooleanField(default=True)
    safe_times = EncryptedField(category="contact")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survivor", "channel"], name="one_pref_per_channel")
        ]

    def __str__(self) -> str:
        return f"contact preference {self.channel}"

    def sealing_owner_id(self) -> uuid.UUID:
        return self.survivor_id


class Case(models.Model):
    """An enrolment of the survivor with the organisation (HTCDS case)."""

    access_survivor_field = "survivor"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survivor = models.ForeignKey(Survivor, on_delete=models.CASCADE, related_name="cases")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.ACTIVE)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    closure_reason = models.CharField(max_length=20, choices=ClosureReason.choices, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    trafficking_status = EncryptedField(category="trafficking_history")
    exploitation_types = EncryptedField(category="trafficking_history", kind="json")
    control_methods = EncryptedField(category="trafficking_history", kind="json")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_on"]
        indexes = [models.Index(fields=["assigned_to", "status"])]

    def __str__(self) -> str:
        return f"case {self.pk}"

    def sealing_owner_id(self) -> uuid.UUID:
        return self.survivor_id


class Consent(models.Model):
    """Permission from the survivor to share named data categories with one recipient.

    Always expires; revocable at any time; checked at every read of shared data.
    """

    access_survivor_field = "survivor"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survivor = models.ForeignKey(Survivor, on_delete=models.CASCADE, related_name="consents")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="consents_received"
    )
    purpose = models.CharField(max_length=30, choices=ConsentPurpose.choices)
    categories = models.JSONField()
    method = models.CharField(max_length=20, choices=ConsentMethod.choices)
    witness_name = models.CharField(max_length=120, blank=True)
    given_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_at"]
        indexes = [models.Index(fields=["survivor", "recipient", "purpose"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("given_at")),
                name="consent_expires_after_given",
            )
        ]

    def __str__(self) -> str:
        return f"consent {self.pk}"

    def is_active_at(self, at: object) -> bool:
        return (
            self.given_at <= at  # type: ignore[operator]
            and at < self.expires_at  # type: ignore[operator]
            and (self.revoked_at is None or at < self.revoked_at)  # type: ignore[operator]
        )
