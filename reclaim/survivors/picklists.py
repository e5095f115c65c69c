"""Picklists for the survivor record: HTCDS 2.0 values, ISO 3166 countries, ISO 639 languages."""

from __future__ import annotations

from functools import lru_cache

import pycountry
from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    """HTCDS 2.0 prs_Gender, plus an explicit "prefer not to say"."""

    FEMININE = "Feminine", _("Feminine")
    MASCULINE = "Masculine", _("Masculine")
    TRANSGENDER_FEMININE = "TransgenderFeminine", _("Transgender feminine")
    TRANSGENDER_MASCULINE = "TransgenderMasculine", _("Transgender masculine")
    NON_CONFORMING = "NonConforming", _("Non-conforming")
    NOT_SPECIFIED = "NonSpecifiedUnknown", _("Not specified / unknown")
    PREFER_NOT_TO_SAY = "PreferNotToSay", _("Prefer not to say")


class CaseStatus(models.TextChoices):
    """HTCDS 2.0 cas_Status."""

    ACTIVE = "Active", _("Active")
    FOLLOW_UP = "FollowUp", _("Follow-up")
    CLOSED = "Closed", _("Closed")
    CLOSED_REFERRED = "ClosedReferred", _("Closed (referred)")


CLOSED_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.CLOSED_REFERRED})


class ClosureReason(models.TextChoices):
    GOALS_MET = "GoalsMet", _("Goals met / services completed")
    SURVIVOR_CHOICE = "SurvivorChoice", _("Survivor chose to stop services")
    LOST_CONTACT = "LostContact", _("Lost contact")
    MOVED = "Moved", _("Moved out of the service area")
    REFERRED = "Referred", _("Referred to another organisation")
    INELIGIBLE = "Ineligible", _("Not eligible for services")
    OTHER = "Other", _("Other")


class TraffickingStatus(models.TextChoices):
    """HTCDS 2.0 vic_TraffickingStatus. Never required."""

    POSSIBLE = "PossibleVictimOfTrafficking", _("Possible victim of trafficking")
    ACTUAL = "ActualVictimOfTrafficking", _("Actual victim of trafficking")
    NOT_A_VICTIM = "NotAVictimOfTrafficking", _("Not a victim of trafficking")


class ExploitationType(models.TextChoices):
    """HTCDS 2.0 vic_TypeOfExploitation (multi-select)."""

    FORCED_LABOUR = "ForcedLabour", _("Forced labour")
    SEXUAL_EXPLOITATION = "SexualExploitation", _("Sexual exploitation")
    CHILD_LABOUR = "ChildLabour", _("Child labour")
    FORCED_MARRIAGE = "ForcedMarriage", _("Forced marriage")
    SERVITUDE = "Servitude", _("Servitude")
    FORCED_MILITARY = "ForcedMilitaryByNonStateActors", _("Forced military (by non-state actors)")
    ORGAN_REMOVAL = "OrganRemoval", _("Organ removal")
    FORCED_BEGGING = "ForcedBegging", _("Forced begging")
    FORCED_ADOPTION = "ForcedAdoption", _("Forced adoption")
    SURROGACY = "Surrogacy", _("Surrogacy")
    OTHER = "Other", _("Other")


class ControlMethod(models.TextChoices):
    """HTCDS 2.0 vic_MethodsOfControl (multi-select)."""

    PHYSICAL_THREATS = "PhysicalThreats", _("Physical threats")
    THREATS_LAW_ENFORCEMENT = "ThreatsLawEnforcement", _("Threats of law enforcement")
    THREATENS_FAMILY = "ThreatensChildrenFamily", _("Threatens children or family")
    DEBT_BONDAGE = "DebtBondage", _("Debt bondage")
    FALSE_PROMISES = "FalsePromises", _("False promises")
    PHYSICAL_ABUSE = "PhysicalAbuse", _("Physical abuse")
    SEXUAL_ABUSE = "SexualAbuse", _("Sexual abuse")
    TAKES_EARNINGS = "TakesEarnings", _("Takes earnings")
    RESTRICTS_FINANCIAL_ACCESS = "RestrictsFinancialAccess", _("Restricts financial access")
    RESTRICTS_MEDICAL_CARE = "RestrictsMedicalCare", _("Restricts medical care")
    WITHHOLDS_NECESSITIES = "WithholdsNecessities", _("Withholds necessities")
    PSYCHOLOGICAL_ABUSE = "PsychologicalAbuse", _("Psychological abuse")
    PSYCHOACTIVE_SUBSTANCE = "PsychoactiveSubstance", _("Psychoactive substances")
    EXCESSIVE_WORKING_HOURS = "ExcessiveWorkingHours", _("Excessive working hours")
    WITHHOLDS_DOCUMENTS = "WithholdsDocuments", _("Withholds documents")
    OTHER = "Other", _("Other")


class ContactChannel(models.TextChoices):
    PHONE_CALL = "phone_call", _("Phone call")
    TEXT_MESSAGE = "text_message", _("Text message")
    VOICEMAIL = "voicemail", _("Voicemail")
    EMAIL = "email", _("Email")
    POST = "post", _("Letter by post")


class ConsentPurpose(models.TextChoices):
    REFERRAL = "referral", _("Referral for services")
    SERVICE_COORDINATION = "service_coordination", _("Coordinating services together")
    LEGAL_REPRESENTATION = "legal_representation", _("Legal help")
    BENEFITS_APPLICATION = "benefits_application", _("Applying for benefits or immigration relief")
    MENTORING = "mentoring", _("Mentoring")


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Written (signed)")
    VERBAL_WITNESSED = "verbal_witnessed", _("Verbal, witnessed")
    ELECTRONIC = "electronic", _("Electronic")


DATA_CATEGORY_LABELS = {
    "identity": _("who you are (name, date of birth, gender)"),
    "contact": _("how to contact you safely"),
    "location": _("where you live"),
    "health": _("your physical health"),
    "mental_health": _("your mental health"),
    "legal_immigration": _("legal and immigration matters"),
    "trafficking_history": _("what happened to you (trafficking history)"),
    "education": _("education and training"),
    "employment": _("work and jobs"),
    "financial": _("money and benefits"),
}


@lru_cache(maxsize=1)
def country_codes() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> English short name."""
    return {country.alpha_2: country.name for country in pycountry.countries}


@lru_cache(maxsize=1)
def language_codes() -> dict[str, str]:
    """ISO 639 codes (639-1 where one exists, else 639-3) -> English name."""
    codes: dict[str, str] = {}
    for language in pycountry.languages:
        code = getattr(language, "alpha_2", None) or language.alpha_3
        codes[code] = language.name
    return codes


def normalise_language(code: str) -> str | None:
    """Accept ISO 639-1, 639-2 or 639-3; return the code we store, or None if unknown."""
    code = code.strip().lower()
    if not code:
        return None
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    if found is None and len(code) == 3:
        found = pycountry.languages.get(alpha_3=code) or pycountry.languages.get(bibliographic=code)
    if found is None:
        return None
    return getattr(found, "alpha_2", None) or found.alpha_3


def normalise_country(code: str) -> str | None:
    code = code.strip().upper()
    return code if code in country_codes() else None
