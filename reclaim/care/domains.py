"""The standard self-sufficiency domains, scored 1-5 in a needs assessment.

Codes are stable identifiers shared with the directory (service types map to these codes) and
with referral packets; organisations may rename, add or retire domains per organisation, but
the codes below are what a new organisation starts with. Each domain belongs to one data
category (DESIGN.md invariant 5), which decides when its scores and notes may be shared.
"""

from __future__ import annotations

from typing import NamedTuple

from django.utils.translation import gettext_lazy as _


class StandardDomain(NamedTuple):
    code: str
    label: object  # lazy translation
    category: str


STANDARD_DOMAINS: tuple[StandardDomain, ...] = (
    StandardDomain("safety", _("Safety"), "location"),
    StandardDomain("housing", _("Housing"), "location"),
    StandardDomain("physical_health", _("Physical health"), "health"),
    StandardDomain("mental_health", _("Mental health"), "mental_health"),
    StandardDomain("substance_use", _("Substance use"), "health"),
    StandardDomain("legal_immigration", _("Legal and immigration"), "legal_immigration"),
    StandardDomain("income", _("Income"), "financial"),
    StandardDomain("employment", _("Employment"), "employment"),
    StandardDomain("education", _("Education"), "education"),
    StandardDomain("food", _("Food"), "financial"),
    StandardDomain("childcare", _("Childcare"), "financial"),
    StandardDomain("transportation", _("Transportation"), "financial"),
    StandardDomain("documents_id", _("Documents and ID"), "identity"),
    StandardDomain("family_social_support", _("Family and social support"), "identity"),
    StandardDomain("life_skills", _("Life skills"), "education"),
    StandardDomain("community_involvement", _("Community involvement"), "education"),
    StandardDomain("language", _("Language"), "education"),
)
STANDARD_DOMAIN_CODES = frozenset(domain.code for domain in STANDARD_DOMAINS)
