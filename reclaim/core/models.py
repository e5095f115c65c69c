"""Organisations, people and roles; access tokens; the audit chain; the keystore tables."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class OrganisationType(models.TextChoices):
    """HTCDS 2.0 organisation types (org_Type)."""

    NGO = "NGO", _("Non-governmental organisation")
    LAW_ENFORCEMENT = "LawEnforcement", _("Law enforcement")
    HEALTH = "HealthServiceOrganisation", _("Health service organisation")
    CENTRAL_GOVERNMENT = "CentralGovernmentOrganisation", _("Central government")
    LOCAL_GOVERNMENT = "LocalGovernmentOrganisation", _("Local government")
    IMMIGRATION = "ImmigrationService", _("Immigration service")
    LEGAL = "LegalService", _("Legal service")
    BUSINESS = "CorporateBusiness", _("Corporate business")
    EDUCATION = "SchoolOrCollege", _("School or college")


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    org_type = models.CharField(max_length=40, choices=OrganisationType.choices)
    # Short description for the network directory; never about a survivor.
    description = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Bumped by "log out everywhere"; sessions that carry an older value are ended.
    session_generation = models.PositiveIntegerField(default=0)
    preferred_language = models.CharField(max_length=8, default="en")
    # Set with a temporary password (new account, reset by an admin); the person must choose
    # their own before anything else (RequirePasswordChangeMiddleware).
    must_change_password = models.BooleanField(default=False)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        # "Ana" and "ana" are one person to whoever types a name in: the services refuse a
        # second one, and this holds when two adds race (they turn the error into a 409).
        constraints = [
            models.UniqueConstraint(Lower("username"), name="core_user_username_any_case")
        ]

    def __str__(self) -> str:
        return self.username


class Team(models.Model):
    """A caseload group: case managers see survivors assigned to anyone in their team."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="team_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", _("Organisation admin")
    SUPERVISOR = "supervisor", _("Supervisor")
    CASE_MANAGER = "case_manager", _("Case manager")
    PARTNER_STAFF = "partner_staff", _("Partner staff")
    MENTOR = "mentor", _("Mentor")
    PROGRAM_MANAGER = "program_manager", _("Program manager")
    SURVIVOR = "survivor", _("Survivor")


STAFF_ROLES = frozenset(role for role in Role if role != Role.SURVIVOR)


class Membership(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} @ {self.organisation_id}"


class AccessToken(models.Model):
    """A personal access token for the API. Only a SHA-256 digest of the secret is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    can_write = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class BreakGlassGrant(models.Model):
    """Emergency access by a case manager to one survivor outside their caseload, for one hour."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="break_glass_grants")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    # The survivor's id; a plain UUID because core imports no app.
    survivor_id = models.UUIDField(db_index=True)
    reason = models.TextField(max_length=2000)
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True, max_length=2000)

    class Meta:
        indexes = [models.Index(fields=["user", "survivor_id", "expires_at"])]

    def __str__(self) -> str:
        return f"break-glass grant {self.pk}"


class AuditEvent(models.Model):
    """One link of the tamper-evident audit chain. Holds ids and field names, never values."""

    seq = models.BigIntegerField(primary_key=True)
    at = models.DateTimeField()
    actor_id = models.UUIDField(null=True, blank=True, db_index=True)
    organisation_id = models.UUIDField(null=True, blank=True, db_index=True)
    # The survivor the event is about, so a record's audit trail is one indexed query.
    subject_id = models.UUIDField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    fields = models.JSONField(default=list)
    context = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"audit event {self.seq} ({self.action})"


class AuditHead(models.Model):
    """The single row that serialises appends to the chain (locked for a few microseconds)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head at {self.seq}"


# --- Keystore tables: routed to the separate "keystore" database (see routers.py). ---


class DataKey(models.Model):
    """A survivor's data key, wrapped (AES-GCM) by one version of the master key."""

    owner_id = models.UUIDField(primary_key=True)
    master_version = models.PositiveIntegerField()
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"data key {self.owner_id} (master key v{self.master_version})"


class SystemKey(models.Model):
    """Non-survivor keys (the blind-index key, the master-key check value), also wrapped."""

    name = models.CharField(max_length=40, primary_key=True)
    master_version = models.PositiveIntegerField()
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"system key {self.name} (master key v{self.master_version})"
