"""The synthetic directory of the demo network: ~30 services around one fictional metro area.

`seed_directory(platform_organisations)` builds them as HSDS 3.0 documents and imports them
through the normal importer (so they are validated and audited like any import). Ids are
derived from the names (uuid5), so seeding again updates instead of duplicating. Providers
whose name matches a Reclaim organisation are linked to it, so referrals reach it in-app.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from reclaim.core import audit
from reclaim.core.models import Organisation

from ..hsds import reclaim_attributes
from ..models import Organization
from .hsds_io import ImportSource, ImportSummary, import_source

DEMO_NAMESPACE = uuid.UUID("0b6f1d0c-27a8-4a8e-9d8a-2f3e60a3c7d1")
CITY = "Riverton"
STATE = "TX"


def _id(*parts: str) -> str:
    return str(uuid.uuid5(DEMO_NAMESPACE, "/".join(parts)))


@dataclass(frozen=True)
class DemoProvider:
    name: str
    description: str


@dataclass(frozen=True)
class DemoService:
    provider: str
    name: str
    description: str
    types: tuple[str, ...]
    languages: tuple[str, ...]
    latitude: float
    longitude: float
    attributes: tuple[tuple[str, Any], ...] = ()
    minimum_age: int | None = None
    maximum_age: int | None = None


HOME = "Harbor House"
LEGAL = "Justice Legal Aid"
CLINIC = "Bridges Health Clinic"

PROVIDERS = (
    DemoProvider(HOME, "Shelter, case management and peer mentoring for trafficking survivors."),
    DemoProvider(LEGAL, "Free immigration and civil legal help."),
    DemoProvider(CLINIC, "Primary care and trauma-informed counselling."),
    DemoProvider("Casa Esperanza", "Bilingual shelter and family services."),
    DemoProvider("New Roots Workforce", "Job training and placement for new arrivals."),
    DemoProvider("Open Door Recovery", "Outpatient and residential substance use treatment."),
    DemoProvider("Pathways Learning Center", "Adult education, GED and English classes."),
    DemoProvider("Riverton Transit Assist", "Free transit passes and rides to appointments."),
    DemoProvider("Bright Start Childcare", "Sliding-scale childcare for working parents."),
    DemoProvider("Lotus Peer Network", "Survivor-led peer support groups."),
    DemoProvider("Riverton Food Bank", "Groceries and hot meals, no questions asked."),
    DemoProvider("Unity Men's Center", "Housing and support for men."),
)

_W = (("gender_eligibility", "women"),)
_M = (("gender_eligibility", "men"),)
_SURVIVOR = (("serves_trafficking_survivors", True), ("trauma_informed", True))

SERVICES = (
    DemoService(
        HOME,
        "Emergency shelter",
        "Confidential emergency shelter, 24 hours.",
        ("safe_housing", "case_management"),
        ("en", "es"),
        29.762,
        -95.365,
        (
            *_W,
            *_SURVIVOR,
            ("survivor_led", True),
            ("capacity_available", 3),
            ("capacity_unit", "beds"),
            ("free_of_charge", True),
        ),
        18,
    ),
    DemoService(
        HOME,
        "Transitional housing",
        "Apartments for up to 18 months with support.",
        ("safe_housing",),
        ("en", "es"),
        29.771,
        -95.381,
        (
            *_W,
            *_SURVIVOR,
            ("capacity_available", 0),
            ("capacity_unit", "beds"),
            ("wait_time_days", 30),
            ("free_of_charge", True),
        ),
        18,
    ),
    DemoService(
        HOME,
        "Case management",
        "A case manager who helps with every step.",
        ("case_management", "identity_documents"),
        ("en", "es", "pt"),
        29.762,
        -95.365,
        (*_SURVIVOR, ("free_of_charge", True), ("interpretation_available", True)),
    ),
    DemoService(
        HOME,
        "Peer mentoring",
        "Meet a mentor who has lived it.",
        ("peer_support",),
        ("en", "es"),
        29.762,
        -95.365,
        (*_SURVIVOR, ("survivor_led", True), ("free_of_charge", True)),
    ),
    DemoService(
        HOME,
        "24-hour crisis line",
        "Call or text any time.",
        ("crisis_line",),
        ("en", "es", "vi"),
        29.762,
        -95.365,
        (*_SURVIVOR, ("interpretation_available", True), ("free_of_charge", True)),
    ),
    DemoService(
        LEGAL,
        "T visa and U visa help",
        "Applications for T and U visas.",
        ("immigration_legal",),
        ("en", "es", "zh"),
        29.754,
        -95.362,
        (*_SURVIVOR, ("free_of_charge", True), ("wait_time_days", 14)),
    ),
    DemoService(
        LEGAL,
        "Vacatur and record clearing",
        "Clear convictions linked to trafficking.",
        ("legal",),
        ("en", "es"),
        29.754,
        -95.362,
        (*_SURVIVOR, ("free_of_charge", True)),
    ),
    DemoService(
        LEGAL,
        "Family law clinic",
        "Custody, divorce and protective orders.",
        ("legal",),
        ("en",),
        29.754,
        -95.362,
        (("free_of_charge", True), ("wait_time_days", 21)),
    ),
    DemoService(
        CLINIC,
        "Primary care",
        "Check-ups, vaccines and sexual health.",
        ("medical",),
        ("en", "es"),
        29.748,
        -95.390,
        (
            ("trauma_informed", True),
            ("interpretation_available", True),
            ("free_of_charge", False),
            ("female_staff_available", True),
        ),
    ),
    DemoService(
        CLINIC,
        "Trauma counselling",
        "Individual therapy with trauma specialists.",
        ("counseling",),
        ("en", "es"),
        29.748,
        -95.390,
        (
            *_SURVIVOR,
            ("female_staff_available", True),
            ("wait_time_days", 10),
            ("free_of_charge", True),
        ),
    ),
    DemoService(
        CLINIC,
        "Dental care",
        "Cleanings and urgent dental care.",
        ("medical",),
        ("en",),
        29.748,
        -95.390,
        (("free_of_charge", False),),
    ),
    DemoService(
        "Casa Esperanza",
        "Family shelter",
        "Shelter for mothers and children.",
        ("safe_housing", "childcare"),
        ("es", "en"),
        29.701,
        -95.301,
        (
            *_W,
            ("capacity_available", 2),
            ("capacity_unit", "beds"),
            ("free_of_charge", True),
            ("lgbtq_affirming", True),
        ),
    ),
    DemoService(
        "Casa Esperanza",
        "Spanish-language counselling",
        "Consejería en español.",
        ("counseling",),
        ("es",),
        29.701,
        -95.301,
        (("trauma_informed", True), ("free_of_charge", True)),
    ),
    DemoService(
        "Casa Esperanza",
        "Youth drop-in",
        "A safe place for young people.",
        ("peer_support", "education"),
        ("es", "en"),
        29.701,
        -95.301,
        (("lgbtq_affirming", True), ("free_of_charge", True)),
        14,
        24,
    ),
    DemoService(
        "New Roots Workforce",
        "Job readiness",
        "CVs, interviews and job matching.",
        ("employment",),
        ("en", "es", "ar"),
        29.790,
        -95.420,
        (("free_of_charge", True), ("immigration_status_required", True)),
    ),
    DemoService(
        "New Roots Workforce",
        "Culinary training",
        "12-week paid kitchen training.",
        ("vocational_training",),
        ("en", "es"),
        29.790,
        -95.420,
        (("capacity_available", 5), ("capacity_unit", "slots"), ("free_of_charge", True)),
        18,
    ),
    DemoService(
        "New Roots Workforce",
        "Financial coaching",
        "Budgets, credit and banking.",
        ("financial_coaching",),
        ("en", "es"),
        29.790,
        -95.420,
        (("free_of_charge", True), ("survivor_led", True)),
    ),
    DemoService(
        "Open Door Recovery",
        "Outpatient treatment",
        "Evening groups and counselling.",
        ("substance_use", "counseling"),
        ("en",),
        29.820,
        -95.450,
        (("trauma_informed", True), ("free_of_charge", False)),
    ),
    DemoService(
        "Open Door Recovery",
        "Residential treatment",
        "28-day residential programme.",
        ("substance_use",),
        ("en", "es"),
        29.880,
        -95.520,
        (("capacity_available", 1), ("capacity_unit", "beds"), ("wait_time_days", 7)),
        18,
    ),
    DemoService(
        "Pathways Learning Center",
        "English classes",
        "Beginner to advanced ESL.",
        ("language_classes",),
        ("en", "es", "zh", "vi"),
        29.735,
        -95.410,
        (("free_of_charge", True),),
    ),
    DemoService(
        "Pathways Learning Center",
        "GED preparation",
        "Classes and the test fee.",
        ("education",),
        ("en", "es"),
        29.735,
        -95.410,
        (("free_of_charge", True),),
        16,
    ),
    DemoService(
        "Pathways Learning Center",
        "Interpreters on call",
        "Phone interpreting.",
        ("interpretation",),
        ("es", "vi", "zh", "ar", "ru"),
        29.735,
        -95.410,
        (("interpretation_available", True), ("free_of_charge", True)),
    ),
    DemoService(
        "Riverton Transit Assist",
        "Transit passes",
        "Monthly bus passes.",
        ("transport",),
        ("en", "es"),
        29.760,
        -95.370,
        (("free_of_charge", True),),
    ),
    DemoService(
        "Riverton Transit Assist",
        "Rides to appointments",
        "Door-to-door rides.",
        ("transport",),
        ("en",),
        29.760,
        -95.370,
        (("free_of_charge", True), ("female_staff_available", True)),
    ),
    DemoService(
        "Bright Start Childcare",
        "Daycare",
        "Ages 0-5, sliding scale.",
        ("childcare",),
        ("en", "es"),
        29.780,
        -95.340,
        (("capacity_available", 4), ("capacity_unit", "slots")),
    ),
    DemoService(
        "Lotus Peer Network",
        "Survivor support circle",
        "Weekly survivor-led group.",
        ("peer_support",),
        ("en", "es", "tl"),
        29.770,
        -95.360,
        (
            *_SURVIVOR,
            *_W,
            ("survivor_led", True),
            ("lgbtq_affirming", True),
            ("free_of_charge", True),
        ),
    ),
    DemoService(
        "Lotus Peer Network",
        "Online peer chat",
        "Evening chat with peers.",
        ("peer_support", "crisis_line"),
        ("en",),
        29.770,
        -95.360,
        (*_SURVIVOR, ("survivor_led", True), ("free_of_charge", True)),
    ),
    DemoService(
        "Riverton Food Bank",
        "Groceries",
        "Weekly groceries, no ID needed.",
        ("food",),
        ("en", "es"),
        29.745,
        -95.330,
        (("free_of_charge", True),),
    ),
    DemoService(
        "Unity Men's Center",
        "Men's shelter",
        "Emergency shelter for men.",
        ("safe_housing",),
        ("en", "es"),
        29.800,
        -95.300,
        (
            *_M,
            ("capacity_available", 6),
            ("capacity_unit", "beds"),
            ("free_of_charge", True),
            ("serves_trafficking_survivors", True),
        ),
        18,
    ),
    DemoService(
        "Unity Men's Center",
        "Men's counselling group",
        "Weekly group for men.",
        ("counseling", "peer_support"),
        ("en",),
        29.800,
        -95.300,
        (*_M, ("trauma_informed", True), ("free_of_charge", True)),
        18,
    ),
)


class _Values:
    """Enough of a Service for `reclaim_attributes` to write our attributes."""

    def __init__(self, service_id: str, values: dict[str, Any]) -> None:
        self.pk = service_id
        self.values = values

    def __getattr__(self, name: str) -> Any:
        return self.values.get(name)


def _document(spec: DemoService) -> dict[str, Any]:
    service_id = _id("service", spec.provider, spec.name)
    provider = next(p for p in PROVIDERS if p.name == spec.provider)
    location_id = _id("location", spec.provider, str(spec.latitude))
    values = dict(spec.attributes)
    values.setdefault("capacity_updated_at", None)
    if "capacity_available" in values:
        values["capacity_updated_at"] = timezone.now()
    document: dict[str, Any] = {
        "id": service_id,
        "name": spec.name,
        "description": spec.description,
        "status": "active",
        "organization": {
            "id": _id("organization", provider.name),
            "name": provider.name,
            "description": provider.description,
        },
        "languages": [
            {"id": _id("language", service_id, code), "code": code} for code in spec.languages
        ],
        "service_at_locations": [
            {
                "id": _id("service_at_location", service_id),
                "location": {
                    "id": location_id,
                    "location_type": "physical",
                    "name": f"{provider.name} ({CITY})",
                    "latitude": spec.latitude,
                    "longitude": spec.longitude,
                    "addresses": [
                        {
                            "id": _id("address", location_id),
                            "address_1": "Address on request",
                            "city": CITY,
                            "state_province": STATE,
                            "postal_code": "77000",
                            "country": "US",
                            "address_type": "physical",
                        }
                    ],
                },
            }
        ],
        "attributes": reclaim_attributes(_Values(service_id, values), spec.types),
    }
    if spec.minimum_age is not None:
        document["minimum_age"] = spec.minimum_age
    if spec.maximum_age is not None:
        document["maximum_age"] = spec.maximum_age
    return document


def seed_directory(platform_organisations: Iterable[Organisation] = ()) -> ImportSummary:
    """Create (or update) the demo directory; link providers named like a Reclaim organisation.

    Safe to run again. Audited as one `directory.import` plus one link event per provider.
    """
    documents = [(f"demo {spec.name}", _document(spec)) for spec in SERVICES]
    summary = import_source(ImportSource(documents))
    by_name = {organisation.name: organisation for organisation in platform_organisations}
    with transaction.atomic():
        for provider in Organization.objects.filter(name__in=list(by_name)):
            platform = by_name[provider.name]
            if provider.platform_organisation_id != platform.pk:
                provider.platform_organisation = platform
                provider.save(update_fields=["platform_organisation", "updated_at"])
                audit.record(
                    "directory.organization.update",
                    target=provider,
                    fields=["platform_organisation"],
                )
    return summary
