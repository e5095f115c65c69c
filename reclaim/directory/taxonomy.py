"""The project-owned taxonomy of service types, and the needs-domain codes each one meets.

Codes are stable identifiers (they travel in HSDS exports as attributes of the taxonomy
`reclaim-service-types`); labels are translated. The needs-domain codes are the standard
self-sufficiency domains of `reclaim.care.domains`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

# The taxonomy names used in HSDS attributes (`taxonomy_term.taxonomy`).
SERVICE_TYPE_TAXONOMY = "reclaim-service-types"
ATTRIBUTE_TAXONOMY = "reclaim-attributes"
# uuid5 namespace for the stable ids of our taxonomy terms and exported attributes.
TAXONOMY_NAMESPACE = uuid.UUID("6f0c5a0e-5d2b-4c1e-9a57-2c8f8a3e1b10")


class ServiceTypeTerm(NamedTuple):
    code: str
    label: object  # lazy translation
    needs: tuple[str, ...]  # needs-domain codes this type of service meets


SERVICE_TYPES: tuple[ServiceTypeTerm, ...] = (
    ServiceTypeTerm("case_management", _("Case management"), ("life_skills", "documents_id")),
    ServiceTypeTerm("childcare", _("Childcare"), ("childcare",)),
    ServiceTypeTerm("counseling", _("Counselling"), ("mental_health",)),
    ServiceTypeTerm("crisis_line", _("Crisis line"), ("safety",)),
    ServiceTypeTerm("education", _("Education"), ("education",)),
    ServiceTypeTerm("employment", _("Employment"), ("employment", "income")),
    ServiceTypeTerm("financial_coaching", _("Financial coaching"), ("income", "life_skills")),
    ServiceTypeTerm("food", _("Food"), ("food",)),
    ServiceTypeTerm("identity_documents", _("Identity documents"), ("documents_id",)),
    ServiceTypeTerm(
        "immigration_legal", _("Immigration legal help"), ("legal_immigration", "documents_id")
    ),
    ServiceTypeTerm("interpretation", _("Interpretation"), ("language",)),
    ServiceTypeTerm("language_classes", _("Language classes"), ("language", "education")),
    ServiceTypeTerm("legal", _("Legal help"), ("legal_immigration",)),
    ServiceTypeTerm("medical", _("Medical care"), ("physical_health",)),
    ServiceTypeTerm(
        "peer_support",
        _("Peer support"),
        ("family_social_support", "community_involvement", "mental_health"),
    ),
    ServiceTypeTerm("safe_housing", _("Safe housing"), ("housing", "safety")),
    ServiceTypeTerm("substance_use", _("Substance use treatment"), ("substance_use",)),
    ServiceTypeTerm("transport", _("Transport"), ("transportation",)),
    ServiceTypeTerm("vocational_training", _("Vocational training"), ("employment", "education")),
)
SERVICE_TYPE_CODES = frozenset(term.code for term in SERVICE_TYPES)
_BY_CODE = {term.code: term for term in SERVICE_TYPES}


def service_type_label(code: str) -> str:
    term = _BY_CODE.get(code)
    return str(term.label) if term else code


def needs_met_by(codes: Iterable[str]) -> frozenset[str]:
    """The needs-domain codes met by any of these service-type codes (unknown codes: none)."""
    return frozenset(need for code in codes if code in _BY_CODE for need in _BY_CODE[code].needs)


def service_types_for_needs(needs: Iterable[str]) -> frozenset[str]:
    """The service-type codes that meet at least one of these needs-domain codes."""
    wanted = set(needs)
    return frozenset(term.code for term in SERVICE_TYPES if wanted.intersection(term.needs))


def term_id(code: str, *, taxonomy: str = SERVICE_TYPE_TAXONOMY) -> uuid.UUID:
    """A stable HSDS taxonomy_term id for one of our codes."""
    return uuid.uuid5(TAXONOMY_NAMESPACE, f"{taxonomy}:{code}")
