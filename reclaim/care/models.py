"""Care records: needs assessments, screenings, service plans, notes, appointments, tasks.

Every row that is about a survivor declares `access_survivor_field` and carries the survivor's
organisation, so `core.access.scope` / `require` decide who sees it. Free text (notes, goals,
screening answers, places, the intake draft) is an EncryptedField sealed with the survivor's
own data key. Free-text notes are tagged `trafficking_history`: they may hold anything the
survivor chose to say, so they take the most protected category and are never shared.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reclaim.core.fields import DATA_CATEGORIES, EncryptedField
from reclaim.core.models import Organisation

from .domains import STANDARD_DOMAINS

NOTE_CATEGORY = "trafficking_history"
_STANDARD_LABELS = {domain.code: domain.label for domain in STANDARD_DOMAINS}


class Score(models.IntegerChoices):
    IN_CRISIS = 1, _("In crisis")
    VULNERABLE = 2, _("Vulnerable")
    SAFE = 3, _("Safe")
    BUILDING_CAPACITY = 4, _("Building capacity")
    EMPOWERED = 5, _("Empowered")


class Domain(models.Model):
    """One self-sufficiency domain of an organisation's assessment. Retired, never deleted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="care_domains"
    )
    code = models.SlugField(max_length=40)
    # Empty for a standard domain that keeps its translated standard label.
    custom_label = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=30, choices=[(c, c) for c in DATA_CATEGORIES])
    position = models.PositiveSmallIntegerField(default=0)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="care_domain_code_unique")
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        if self.custom_label:
            return self.custom_label
        return str(_STANDARD_LABELS.get(self.code, self.code))

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class SurvivorRow(models.Model):
    """Columns every survivor-data row of this app shares."""

    access_survivor_field = "survivor"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survivor = models.ForeignKey("survivors.Survivor", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def sealing_owner_id(self) -> uuid.UUID:
        return self.survivor_id


class IntakeDraft(SurvivorRow):
    """The care intake conversation, saved step by step so it can be resumed later."""

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    step = models.CharField(max_length=30)
    answers = EncryptedField(category=NOTE_CATEGORY, kind="json")
    interpreter_used = models.BooleanField(null=True)
    interpreter_language = models.CharField(max_length=12, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            # One unfinished intake per survivor: resuming never forks the conversation.
            models.UniqueConstraint(
                fields=["survivor"],
                condition=models.Q(completed_at__isnull=True),
                name="care_one_open_intake",
            )
        ]

    def __str__(self) -> str:
        return f"intake {self.pk}"


class Assessment(SurvivorRow):
    """One needs assessment, completed jointly with the survivor on one day."""

    assessed_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    interpreter_used = models.BooleanField(null=True)
    interpreter_language = models.CharField(max_length=12, blank=True)

    class Meta:
        ordering = ["-assessed_on", "-created_at"]
        indexes = [models.Index(fields=["survivor", "assessed_on"])]

    def __str__(self) -> str:
        return f"assessment {self.pk}"


class DomainScore(SurvivorRow):
    """A domain's score in one assessment; null means "does not apply" (N/A)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField(choices=Score.choices, null=True, blank=True)
    note = EncryptedField(category=NOTE_CATEGORY)

    class Meta:
        ordering = ["domain__position", "domain__code"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "domain"], name="care_one_score"),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=1, score__lte=5),
                name="care_score_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"score {self.pk}"


class ScreeningStatus(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined")


class Screening(SurvivorRow):
    """A validated screening, or the survivor's recorded choice not to take it.

    Item answers are sealed; the total, band and flags are plain so aggregate reports can
    count them without opening any record.
    """

    instrument = models.CharField(max_length=10)
    version = models.CharField(max_length=20)
    language = models.CharField(max_length=5)
    status = models.CharField(max_length=10, choices=ScreeningStatus.choices)
    answers = EncryptedField(category="mental_health", kind="json")
    decline_reason = EncryptedField(category="mental_health")
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    band = models.CharField(max_length=30, blank=True)
    # PCL-5: DSM-5 cluster results and the provisional result; empty for other instruments.
    details = models.JSONField(default=dict, blank=True)
    safety_flag = models.BooleanField(default=False)
    administered_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    interpreter_used = models.BooleanField(null=True)
    interpreter_language = models.CharField(max_length=12, blank=True)

    class Meta:
        ordering = ["-administered_at"]
        indexes = [models.Index(fields=["survivor", "instrument", "administered_at"])]

    def __str__(self) -> str:
        return f"screening {self.pk}"


class GoalStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    ACHIEVED = "achieved", _("Achieved")
    ON_HOLD = "on_hold", _("On hold")
    DROPPED = "dropped", _("No longer wanted")


class StepOwner(models.TextChoices):
    SURVIVOR = "survivor", _("Survivor")
    CASE_MANAGER = "case_manager", _("Case manager")
    PARTNER = "partner", _("Partner organisation")


class StepStatus(models.TextChoices):
    TO_DO = "to_do", _("To do")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class Goal(SurvivorRow):
    """A goal of the service plan, in the survivor's own words."""

    domain = models.ForeignKey(Domain, on_delete=models.PROTECT, related_name="goals", null=True)
    text = EncryptedField(category=NOTE_CATEGORY)
    status = models.CharField(
        max_length=20, choices=GoalStatus.choices, default=GoalStatus.NOT_STARTED
    )
    target_date = models.DateField(null=True, blank=True)
    survivor_agreed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"goal {self.pk}"


class GoalStep(SurvivorRow):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="steps")
    text = EncryptedField(category=NOTE_CATEGORY)
    owner = models.CharField(max_length=20, choices=StepOwner.choices)
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.TO_DO)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "created_at"]

    def __str__(self) -> str:
        return f"step {self.pk}"


class GoalVersion(SurvivorRow):
    """The whole goal (text, status, agreement, steps) as it was after one change."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    change = models.CharField(max_length=30)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    snapshot = EncryptedField(category=NOTE_CATEGORY, kind="json")

    class Meta:
        ordering = ["goal", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "version"], name="care_goal_version_unique")
        ]

    def __str__(self) -> str:
        return f"goal {self.goal_id} v{self.version}"


class Sensitivity(models.TextChoices):
    STANDARD = "standard", _("Standard")
    RESTRICTED = "restricted", _("Restricted")


class CaseNote(SurvivorRow):
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sensitivity = models.CharField(
        max_length=10, choices=Sensitivity.choices, default=Sensitivity.STANDARD
    )
    body = EncryptedField(category=NOTE_CATEGORY)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"note {self.pk}"


class NoteExportReason(SurvivorRow):
    """Why a restricted note was put into an export: the recorded reason the rule asks for."""

    note = models.ForeignKey(CaseNote, on_delete=models.CASCADE, related_name="export_reasons")
    included_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = EncryptedField(category=NOTE_CATEGORY)

    def __str__(self) -> str:
        return f"export reason {self.pk}"


class AppointmentKind(models.TextChoices):
    COUNSELING = "counseling", _("Counseling")
    MEDICAL = "medical", _("Medical")
    HOUSING = "housing", _("Housing")
    LEGAL = "legal", _("Legal")
    OTHER = "other", _("Other")


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    ATTENDED = "attended", _("Attended")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class Appointment(SurvivorRow):
    kind = models.CharField(max_length=20, choices=AppointmentKind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    place = EncryptedField(category="location")
    status = models.CharField(
        max_length=10, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="care_appointment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"appointment {self.pk}"


class TaskKind(models.TextChoices):
    SAFETY_FOLLOW_UP = "safety_follow_up", _("Safety follow-up")
    APPOINTMENT_REMINDER = "appointment_reminder", _("Appointment reminder")
    FOLLOW_UP = "follow_up", _("Follow-up")


class Task(SurvivorRow):
    """An item in a case manager's task list. Titles come from the kind: no free text."""

    kind = models.CharField(max_length=30, choices=TaskKind.choices)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_tasks"
    )
    due_at = models.DateTimeField()
    urgent = models.BooleanField(default=False)
    screening = models.ForeignKey(
        Screening, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, null=True, blank=True, related_name="tasks"
    )
    # Only for follow-ups a person writes; reminders and safety tasks need no text.
    details = EncryptedField(category=NOTE_CATEGORY)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-urgent", "due_at"]
        indexes = [models.Index(fields=["assignee", "done_at", "due_at"])]

    def __str__(self) -> str:
        return f"task {self.pk}"
