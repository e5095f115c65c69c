"""HSDS 3.0 service directory: organisations, services, locations, eligibility, capacity.

The ids are the HSDS ids (UUIDs), so importing the same directory again updates it. The HSDS
fields we search, filter or match on are columns; the HSDS sub-records we only carry and show
(phones, schedules, service areas, cost options, required documents, contacts, funding,
foreign attributes, metadata) are kept as HSDS JSON in `hsds_extra`, validated against the
official schemas on import and exported unchanged. Directory data describes organisations,
never survivors: it is not encrypted, but every edit is audited by the services.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class Organization(models.Model):
    """An HSDS organization: a provider listed in the directory (not a Reclaim tenant)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    alternate_name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    email = models.CharField(max_length=254, blank=True)
    website = models.CharField(max_length=500, blank=True)
    tax_status = models.CharField(max_length=255, blank=True)
    tax_id = models.CharField(max_length=255, blank=True)
    year_incorporated = models.IntegerField(null=True, blank=True)
    legal_status = models.CharField(max_length=255, blank=True)
    logo = models.CharField(max_length=500, blank=True)
    uri = models.CharField(max_length=500, blank=True)
    parent_organization_id = models.UUIDField(null=True, blank=True)
    # The Reclaim organisation that receives this provider's referrals in-app, if any.
    platform_organisation = models.ForeignKey(
        "core.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="directory_entries",
    )
    hsds_extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LocationType(models.TextChoices):
    PHYSICAL = "physical", _("Physical")
    POSTAL = "postal", _("Postal")
    VIRTUAL = "virtual", _("Virtual")


class Location(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="locations"
    )
    location_type = models.CharField(
        max_length=20, choices=LocationType.choices, default=LocationType.PHYSICAL
    )
    url = models.CharField(max_length=500, blank=True)
    name = models.CharField(max_length=255, blank=True)
    alternate_name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    transportation = models.TextField(blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    external_identifier = models.CharField(max_length=255, blank=True)
    external_identifier_type = models.CharField(max_length=255, blank=True)
    hsds_extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or str(self.pk)

    @property
    def city(self) -> str:
        addresses: list[dict[str, Any]] = self.hsds_extra.get("addresses") or []
        return str(addresses[0].get("city", "")) if addresses else ""


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    DEFUNCT = "defunct", _("Defunct")
    TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")


class GenderEligibility(models.TextChoices):
    ALL = "all", _("Everyone")
    WOMEN = "women", _("Women only")
    MEN = "men", _("Men only")


class CapacityUnit(models.TextChoices):
    BEDS = "beds", _("beds")
    SLOTS = "slots", _("places")


class Service(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="services"
    )
    program_id = models.UUIDField(null=True, blank=True)
    name = models.CharField(max_length=255)
    alternate_name = models.CharField(max_length=255, blank=True)
    description = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    email = models.CharField(max_length=254, blank=True)
    status = models.CharField(
        max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    interpretation_services = models.TextField(blank=True)
    application_process = models.TextField(blank=True)
    fees_description = models.TextField(blank=True)
    wait_time = models.CharField(max_length=255, blank=True)
    fees = models.TextField(blank=True)
    accreditations = models.TextField(blank=True)
    eligibility_description = models.TextField(blank=True)
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    assured_date = models.CharField(max_length=32, blank=True)
    assurer_email = models.CharField(max_length=254, blank=True)
    licenses = models.TextField(blank=True)
    alert = models.TextField(blank=True)
    last_modified = models.DateTimeField(null=True, blank=True)
    hsds_extra = models.JSONField(default=dict, blank=True)

    # What this field needs beyond HSDS (exported as attributes of "reclaim-attributes").
    gender_eligibility = models.CharField(
        max_length=10, choices=GenderEligibility.choices, default=GenderEligibility.ALL
    )
    trauma_informed = models.BooleanField(_("trauma-informed certified"), default=False)
    survivor_led = models.BooleanField(_("survivor-led"), default=False)
    serves_trafficking_survivors = models.BooleanField(
        _("serves trafficking survivors"), default=False
    )
    lgbtq_affirming = models.BooleanField(_("LGBTQ+ affirming"), default=False)
    interpretation_available = models.BooleanField(_("interpretation available"), default=False)
    female_staff_available = models.BooleanField(_("women staff available"), default=False)
    immigration_status_required = models.BooleanField(
        _("immigration status required"), default=False
    )
    free_of_charge = models.BooleanField(_("free of charge"), null=True, blank=True)
    # Open beds or places as last reported by the provider; None = not reported.
    capacity_available = models.PositiveIntegerField(null=True, blank=True)
    capacity_unit = models.CharField(
        max_length=10, choices=CapacityUnit.choices, default=CapacityUnit.SLOTS
    )
    capacity_updated_at = models.DateTimeField(null=True, blank=True)
    wait_time_days = models.PositiveSmallIntegerField(null=True, blank=True)

    # Lower-cased, accent-free text for full-text search (SQLite FTS5 / PostgreSQL tsvector).
    search_document = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minimum_age__isnull=True)
                | models.Q(maximum_age__isnull=True)
                | models.Q(minimum_age__lte=models.F("maximum_age")),
                name="directory_service_age_range",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ServiceType(models.Model):
    """One code of the project taxonomy (`taxonomy.SERVICE_TYPES`) given to a service."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_types")
    code = models.CharField(max_length=40)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="directory_service_type_once")
        ]
        indexes = [models.Index(fields=["code"])]

    def __str__(self) -> str:
        return self.code


class ServiceLanguage(models.Model):
    """A language the service is offered in (HSDS `language` linked to the service)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    hsds_id = models.UUIDField(default=uuid.uuid4)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="languages")
    # ISO 639-1 where known ("es"), lower case; name as the provider wrote it.
    code = models.CharField(max_length=16, blank=True)
    name = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["code", "name"]
        indexes = [models.Index(fields=["code"])]

    def __str__(self) -> str:
        return self.code or self.name


class ServiceAtLocation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="service_at_locations"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="service_at_locations"
    )
    description = models.TextField(blank=True)
    hsds_extra = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.service_id} @ {self.location_id}"


class ServiceMatchRow(models.Model):
    """What matching reads of a service, for one needs-domain code its types meet.

    Derived data, rebuilt by `services.match_rows.refresh_match_rows` on every write to the
    service; never edited on its own. `need` is "" on the row every typed service has.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+", db_index=False)
    need = models.CharField(max_length=40)
    # The name case-folded, as the ranking breaks ties (`matching.rank_key`).
    name_key = models.CharField(max_length=255)
    need_mask = models.BigIntegerField()
    language_mask = models.BigIntegerField()
    is_active = models.BooleanField()
    gender_eligibility = models.CharField(max_length=10)
    minimum_age = models.PositiveSmallIntegerField(null=True)
    maximum_age = models.PositiveSmallIntegerField(null=True)
    capacity_available = models.PositiveIntegerField(null=True)
    free_of_charge = models.BooleanField(null=True)
    immigration_status_required = models.BooleanField()
    interpretation_available = models.BooleanField()
    female_staff_available = models.BooleanField()
    survivor_led = models.BooleanField()
    lgbtq_affirming = models.BooleanField()
    # The points every match gives this service, whatever is asked (matching.score_candidate).
    fixed_points = models.SmallIntegerField()
    cell = models.IntegerField()
    site_count = models.PositiveSmallIntegerField()
    # The site, when the service has exactly one located site.
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    # The site on the unit sphere (`match_rows.unit_vector`): ordering by distance in SQL.
    x = models.FloatField(null=True)
    y = models.FloatField(null=True)
    z = models.FloatField(null=True)

    class Meta:
        # Matching reads rows by need and cell from an index holding every column (added in
        # the 0004 migration, as each database spells it), never from the table itself.
        constraints = [
            models.UniqueConstraint(fields=["service", "need"], name="directory_match_row_once")
        ]

    def __str__(self) -> str:
        return f"{self.service_id} meets {self.need or 'any need'}"


class MatchRowsVersion(models.Model):
    """One row holding a stamp that every change to the match rows replaces, in the same
    transaction: what matching caches about the rows (counts per need) is used only while
    the stamp is the one it was read at. A random number, not a counter: a rolled-back
    change must not let a later one reuse its stamp."""

    stamp = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"match rows stamp {self.stamp}"
