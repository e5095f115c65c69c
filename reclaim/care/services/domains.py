"""An organisation's needs domains: standard ones to start, then added, renamed or retired.

Domains are configuration, not survivor data. Retiring keeps every past score (history stays
readable) and only stops new assessments from using the domain.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone

from reclaim.core import access, audit
from reclaim.core import permissions as perm
from reclaim.core.errors import Conflict, NotFound, ValidationFailed
from reclaim.core.fields import DATA_CATEGORIES
from reclaim.core.models import Organisation
from reclaim.core.validation import clean_text

from ..domains import STANDARD_DOMAINS
from ..models import Domain

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
LABEL_BYTES = 100


def ensure_domains(organisation_id: Any) -> None:
    """Give an organisation the standard domains the first time it needs them."""
    if Domain.objects.filter(organisation_id=organisation_id).exists():
        return
    Domain.objects.bulk_create(
        [
            Domain(
                organisation_id=organisation_id,
                code=standard.code,
                category=standard.category,
                position=(index + 1) * 10,
            )
            for index, standard in enumerate(STANDARD_DOMAINS)
        ],
        ignore_conflicts=True,
    )


def list_domains(organisation_id: Any, *, by: Any, include_retired: bool = False) -> list[Domain]:
    """The organisation's domains in display order. Needs care.view in the organisation."""
    access.require_in_organisation(by, perm.CARE_VIEW, organisation_id)
    ensure_domains(organisation_id)
    domains = Domain.objects.filter(organisation_id=organisation_id)
    if not include_retired:
        domains = domains.filter(retired_at__isnull=True)
    return list(domains)


def get_domain(domain_id: Any, *, by: Any) -> Domain:
    domain = Domain.objects.filter(pk=domain_id).first()
    if domain is None or not access.can(by, perm.CARE_VIEW, domain.organisation_id):
        raise NotFound(
            denied=access.denial(
                by, perm.CARE_CONFIGURE, target_type="care.domain", target_id=str(domain_id)
            )
        )
    return domain


def _clean_label(label: Any) -> str:
    text = clean_text(label, field="label", max_bytes=LABEL_BYTES)
    if not text:
        raise ValidationFailed("label: give the domain a name.", field="label")
    return text


def add_domain(
    organisation: Organisation, *, by: Any, code: str, label: str, category: str
) -> Domain:
    """Add a domain to the organisation. Requires care.configure; audited."""
    access.require_in_organisation(by, perm.CARE_CONFIGURE, organisation.pk)
    if not isinstance(code, str) or not _CODE.match(code):
        raise ValidationFailed(
            "code: use 2-40 lower-case letters, digits or _, starting with a letter.",
            field="code",
        )
    if category not in DATA_CATEGORIES:
        raise ValidationFailed(f"category: {category!r} is not a data category.", field="category")
    text = _clean_label(label)
    ensure_domains(organisation.pk)
    with transaction.atomic():
        if Domain.objects.filter(organisation=organisation, code=code).exists():
            raise Conflict("code: this organisation already has that domain.", field="code")
        last = Domain.objects.filter(organisation=organisation).order_by("-position").first()
        domain = Domain.objects.create(
            organisation=organisation,
            code=code,
            custom_label=text,
            category=category,
            position=(last.position if last else 0) + 10,
        )
        audit.record(
            "care.domain.add",
            actor=by,
            organisation_id=organisation.pk,
            target=domain,
            fields=["code", "custom_label", "category"],
        )
    return domain


def rename_domain(domain: Domain, *, by: Any, label: str) -> Domain:
    """Rename a domain; its code and history stay. Requires care.configure; audited."""
    access.require_in_organisation(by, perm.CARE_CONFIGURE, domain.organisation_id)
    text = _clean_label(label)
    with transaction.atomic():
        domain.custom_label = text
        domain.save(update_fields=["custom_label"])
        audit.record(
            "care.domain.rename",
            actor=by,
            organisation_id=domain.organisation_id,
            target=domain,
            fields=["custom_label"],
        )
    return domain


def set_domain_retired(domain: Domain, *, by: Any, retired: bool) -> Domain:
    """Retire (or bring back) a domain. Past scores keep it; new assessments cannot use it."""
    access.require_in_organisation(by, perm.CARE_CONFIGURE, domain.organisation_id)
    with transaction.atomic():
        domain.retired_at = timezone.now() if retired else None
        domain.save(update_fields=["retired_at"])
        audit.record(
            "care.domain.retire" if retired else "care.domain.restore",
            actor=by,
            organisation_id=domain.organisation_id,
            target=domain,
            fields=["retired_at"],
        )
    return domain
