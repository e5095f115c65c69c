"""Share packets: what a recipient may see of a survivor, built at read time.

"Tell it once": the partner sees the profile fields, safe-contact preferences, trafficking
history, needs and plan goals the survivor agreed to share, and nothing else. Which field
belongs to which consent category is read from each EncryptedField's `category`, so a field
added later is shared only under its own category. `select_fields` is the pure rule; the
functions below only gather its inputs. Callers (services.read_packet) check consent first.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from reclaim.care import services as care
from reclaim.core.fields import encrypted_fields

# Plain-language labels for the record fields a packet may carry.
FIELD_LABELS = {
    "alias": _("Alias"),
    "legal_name": _("Legal name"),
    "preferred_name": _("Preferred name"),
    "pronouns": _("Pronouns"),
    "date_of_birth": _("Date of birth"),
    "gender": _("Gender"),
    "languages": _("Languages"),
    "citizenship": _("Citizenship"),
    "country_of_origin": _("Country of origin"),
    "phone": _("Phone"),
    "email": _("Email"),
    "address": _("Address"),
    "code_word": _("Code word"),
    "trafficking_status": _("Trafficking status"),
    "exploitation_types": _("Types of exploitation"),
    "control_methods": _("Methods of control"),
    "safe_times": _("Safe times"),
}
# Safe-contact preferences are shared whole under this category.
CONTACT_CATEGORY = "contact"


@dataclass(frozen=True)
class SharedField:
    name: str
    category: str
    value: Any

    @property
    def label(self) -> str:
        return str(FIELD_LABELS.get(self.name, self.name.replace("_", " ").capitalize()))

    @property
    def display(self) -> str:
        return display_value(self.value)


@dataclass
class Packet:
    """Exactly what one read of a referral shares, in the consented categories only."""

    categories: list[str]
    profile: list[SharedField] = field(default_factory=list)
    case: list[SharedField] = field(default_factory=list)
    contact_preferences: list[dict[str, Any]] = field(default_factory=list)
    needs: list[Any] = field(default_factory=list)
    goals: list[Any] = field(default_factory=list)
    screenings: list[Any] = field(default_factory=list)

    @property
    def field_names(self) -> list[str]:
        """For the audit event: names only, never values."""
        names = [item.name for item in (*self.profile, *self.case)]
        if self.contact_preferences:
            names.append("contact_preferences")
        if self.needs:
            names.append("needs")
        if self.goals:
            names.append("goals")
        if self.screenings:
            names.append("screenings")
        return names

    def is_empty(self) -> bool:
        return not (
            self.profile
            or self.case
            or self.contact_preferences
            or self.needs
            or self.goals
            or self.screenings
        )


def display_value(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def select_fields(
    values: Mapping[str, tuple[str, Any]], categories: Iterable[str]
) -> list[SharedField]:
    """The pure rule: keep the fields whose category was consented, in the given order.

    `values` maps a field name to (its category, its value).
    """
    allowed = set(categories)
    return [
        SharedField(name, category, value)
        for name, (category, value) in values.items()
        if category in allowed
    ]


def _sealed_values(row: models.Model, categories: set[str]) -> dict[str, tuple[str, Any]]:
    # Only the consented categories are ever opened (decrypted), not just hidden afterwards.
    return {
        f.name: (f.category, getattr(row, f.name))
        for f in encrypted_fields(type(row))
        if f.category in categories
    }


def build_packet(survivor: Any, categories: Iterable[str]) -> Packet:
    """Gather the consented parts of the survivor's record. Consent must be checked first.

    Reads the record through the referral's own relation (partner staff have no scope on the
    record); raises RecordErased when the survivor was erased.
    """
    wanted = sorted(set(categories))
    allowed = set(wanted)
    packet = Packet(categories=wanted)
    packet.profile = select_fields(_sealed_values(survivor, allowed), allowed)
    latest_case = survivor.cases.order_by("-opened_on", "-created_at").first()
    if latest_case is not None:
        packet.case = select_fields(_sealed_values(latest_case, allowed), allowed)
    if CONTACT_CATEGORY in allowed:
        packet.contact_preferences = [
            {
                "channel": pref.channel,
                "channel_label": str(pref.get_channel_display()),
                "may_contact": pref.may_contact,
                "vague_only": pref.vague_only,
                "safe_times": pref.safe_times,
            }
            for pref in survivor.contact_preferences.order_by("channel")
        ]
    shared_care = care_contents(survivor, allowed)
    packet.needs = shared_care["needs"]
    packet.goals = shared_care["goals"]
    packet.screenings = shared_care["screenings"]
    return packet


def care_contents(survivor: Any, categories: set[str]) -> dict[str, list[Any]]:
    """Needs, plan goals and (with mental_health) screening totals from the care app, which
    filters them by category; never notes. Called only after the consent check."""
    contents = care.packet_contents(survivor, categories=set(categories))
    return {
        "needs": list(contents.get("needs", [])),
        "goals": list(contents.get("goals", [])),
        "screenings": list(contents.get("screenings", [])),
    }
