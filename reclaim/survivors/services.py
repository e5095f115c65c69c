"""Every rule and every write for survivor records, cases, contact preferences and consents.

Reads start from `access.scope`; actions call `access.require`. Each function runs in one
transaction and appends its audit event inside it. Functions take the acting user as `by`.
"""

from __future__ import annotations

import datetime
import json
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, CharField, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from reclaim.core import access, audit, crypto, plain_sql
from reclaim.core import permissions as perm
from reclaim.core.errors import Forbidden, NotFound, RecordErased, TamperedData, ValidationFailed
from reclaim.core.fields import DATA_CATEGORIES, attach_data_keys, encrypted_fields, set_data_key
from reclaim.core.models import BreakGlassGrant, Organisation, Role
from reclaim.core.plain_sql import TableSQL, uuid_param
from reclaim.core.validation import check_aware, check_birth_date, check_choice, clean_text

from . import signals
from .models import Case, Consent, SafeContactPreference, Survivor
from .picklists import (
    CLOSED_STATUSES,
    DATA_CATEGORY_LABELS,
    CaseStatus,
    ClosureReason,
    ConsentMethod,
    ConsentPurpose,
    ContactChannel,
    ControlMethod,
    ExploitationType,
    Gender,
    TraffickingStatus,
    normalise_country,
    normalise_language,
)

# --- profile fields -----------------------------------------------------------------------

TEXT_PROFILE_FIELDS = (
    "alias",
    "legal_name",
    "preferred_name",
    "pronouns",
    "phone",
    "email",
    "address",
    "code_word",
)
PROFILE_FIELDS = (
    *TEXT_PROFILE_FIELDS,
    "date_of_birth",
    "gender",
    "languages",
    "citizenship",
    "country_of_origin",
    "intake_date",
)
SHORT_TEXT_BYTES = 500
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

KNOWN_CATEGORIES = frozenset(DATA_CATEGORIES)


def clean_profile(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validate profile values; every field may be left empty ("prefer not to say")."""
    unknown = sorted(set(changes) - set(PROFILE_FIELDS))
    if unknown:
        raise ValidationFailed(f"{unknown[0]}: is not a profile field.", field=unknown[0])
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if value in (None, "", []):
            cleaned[name] = None
            continue
        if name in TEXT_PROFILE_FIELDS:
            limit = 2000 if name == "address" else SHORT_TEXT_BYTES
            cleaned[name] = clean_text(value, field=name, max_bytes=limit, multiline=False) or None
        elif name == "date_of_birth":
            if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
                raise ValidationFailed("date_of_birth: must be a date (YYYY-MM-DD).", field=name)
            cleaned[name] = check_birth_date(value)
        elif name == "intake_date":
            if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
                raise ValidationFailed("intake_date: must be a date (YYYY-MM-DD).", field=name)
            if value > timezone.localdate():
                raise ValidationFailed("intake_date: cannot be in the future.", field=name)
            cleaned[name] = value
        elif name == "gender":
            cleaned[name] = check_choice(value, Gender.values, field=name)
        elif name == "languages":
            cleaned[name] = _codes(value, normalise_language, field=name)
        elif name == "citizenship":
            cleaned[name] = _codes(value, normalise_country, field=name)
        elif name == "country_of_origin":
            code = normalise_country(value) if isinstance(value, str) else None
            if code is None:
                raise ValidationFailed(f"{name}: {value!r} is not an ISO 3166 code.", field=name)
            cleaned[name] = code
    if cleaned.get("intake_date", 1) is None:
        raise ValidationFailed("intake_date: is needed to open a record.", field="intake_date")
    return cleaned


def _codes(value: Any, normalise: Any, *, field: str) -> list[str]:
    if not isinstance(value, list | tuple):
        raise ValidationFailed(f"{field}: must be a list of codes.", field=field)
    codes: list[str] = []
    for item in value:
        code = normalise(item) if isinstance(item, str) else None
        if code is None:
            raise ValidationFailed(f"{field}: {item!r} is not a known code.", field=field)
        if code not in codes:
            codes.append(code)
    return codes


def _apply_profile(survivor: Survivor, cleaned: Mapping[str, Any]) -> list[str]:
    changed = []
    for name, value in cleaned.items():
        if name == "intake_date":
            if survivor.intake_date != value:
                survivor.intake_date = value
                changed.append(name)
            continue
        if getattr(survivor, name) != value:
            setattr(survivor, name, value)
            changed.append(name)
    if {"legal_name", "date_of_birth", "alias"} & set(changed):
        _refresh_indexes(survivor)
        changed += ["alias_index", "name_dob_index"]
    return changed


def _refresh_indexes(survivor: Survivor) -> None:
    org = str(survivor.organisation_id)
    survivor.alias_index = (
        crypto.blind_index("alias", org, survivor.alias) if survivor.alias else ""
    )
    if survivor.legal_name and survivor.date_of_birth:
        survivor.name_dob_index = crypto.blind_index(
            "name+dob", org, survivor.legal_name, survivor.date_of_birth.isoformat()
        )
    else:
        survivor.name_dob_index = ""


def _new_reference() -> str:
    return "R-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(7))


# --- survivors ----------------------------------------------------------------------------


def _event(action: str, *, by: Any, survivor: Survivor, target: Any = None, **kw: Any) -> None:
    audit.record(
        action,
        actor=by,
        organisation_id=survivor.organisation_id,
        subject_id=survivor.id,
        target=target if target is not None else survivor,
        **kw,
    )


def find_possible_duplicates(
    *, by: Any, organisation: Organisation, legal_name: str, date_of_birth: datetime.date
) -> list[str]:
    """References of records in the organisation with the same legal name and date of birth.

    Only references are returned (no personal data), so a case manager is warned at intake even
    about a record outside their caseload. Audited as a search.
    """
    access.require_in_organisation(by, perm.SURVIVOR_CREATE, organisation.id)
    index = crypto.blind_index(
        "name+dob", str(organisation.id), legal_name, date_of_birth.isoformat()
    )
    with transaction.atomic():
        references = list(
            Survivor.objects.filter(
                organisation=organisation, name_dob_index=index, erased_at__isnull=True
            ).values_list("reference", flat=True)
        )
        audit.record(
            "survivor.duplicate_check",
            actor=by,
            organisation_id=organisation.id,
            context={"matches": len(references)},
        )
    return references


def create_survivor(
    *,
    by: Any,
    organisation: Organisation,
    profile: Mapping[str, Any],
    assign_to: Any = None,
) -> Survivor:
    """Open a record and its first case. Case managers are assigned by default.

    Requires survivor.create in the organisation; audits "survivor.create" with field names.
    """
    access.require_in_organisation(by, perm.SURVIVOR_CREATE, organisation.id)
    cleaned = clean_profile({"intake_date": timezone.localdate(), **profile})
    assignee = assign_to or (
        by if Role.CASE_MANAGER in access.roles_in(by, organisation.id) else None
    )
    if assignee is not None and assignee != by:
        access.require_in_organisation(by, perm.CASE_ASSIGN, organisation.id)
        _check_assignee(assignee, organisation)
    survivor = Survivor(id=uuid.uuid4(), organisation=organisation, reference=_new_reference())
    set_data_key(survivor, crypto.create_data_key(survivor.id))
    changed = _apply_profile(survivor, cleaned)
    if not survivor.alias_index and not survivor.name_dob_index:
        _refresh_indexes(survivor)
    with transaction.atomic():
        survivor.save()
        case = Case.objects.create(
            survivor=survivor,
            organisation=organisation,
            opened_on=survivor.intake_date,
            assigned_to=assignee,
        )
        _event("survivor.create", by=by, survivor=survivor, fields=changed)
        _event("case.open", by=by, survivor=survivor, target=case, fields=["status"])
    return survivor


def _check_assignee(user: Any, organisation: Organisation) -> None:
    if Role.CASE_MANAGER not in access.roles_in(user, organisation.id):
        raise ValidationFailed(
            "assigned_to: is not a case manager in this organisation.", field="assigned_to"
        )


def get_survivor(survivor_id: Any, *, by: Any, purpose: str = "view") -> Survivor:
    """One survivor in the user's scope, or NotFound (also for missing ids). Audits the read."""
    with transaction.atomic():
        survivor = access.visible_survivor(by, survivor_id)
        if survivor is None:
            raise NotFound(
                denied=access.denial(
                    by,
                    perm.SURVIVOR_VIEW,
                    target_type="survivors.survivor",
                    target_id=str(survivor_id),
                )
            )
        if not access.can(by, perm.SURVIVOR_VIEW, survivor.organisation_id):
            raise NotFound(denied=access.denial(by, perm.SURVIVOR_VIEW, survivor))
        _event(
            f"survivor.{purpose}",
            by=by,
            survivor=survivor,
            fields=[] if survivor.is_erased else [f.name for f in encrypted_fields(Survivor)],
        )
    return survivor


def read_profile(survivor: Survivor) -> dict[str, Any]:
    """Decrypt the profile of a survivor already fetched through get_survivor."""
    if survivor.is_erased:
        raise RecordErased()
    return {name: getattr(survivor, name) for name in PROFILE_FIELDS}


# A page of 50 rows built 25 columns' worth of model fields per row; a list shows these.
CASELOAD_COLUMNS = (
    "id",
    "organisation_id",
    "reference",
    "alias",
    "preferred_name",
    "intake_date",
    "erased_at",
)


def list_caseload(
    *, by: Any, mine_only: bool = True, limit: int = 50, offset: int = 0
) -> list[Survivor]:
    """The user's caseload (assigned to them), or everything they may see; keys preloaded.

    Rows hold the columns a caseload shows (CASELOAD_COLUMNS); others load when first read.
    Audits one "survivor.list" event naming the rows shown.
    """
    survivors_qs = (
        _caseload_queryset(by, mine_only)
        .only(*CASELOAD_COLUMNS)
        .annotate(current_case_status=_latest_case_status())
    )
    with transaction.atomic():
        rows: list[Survivor] = list(
            survivors_qs.order_by("-intake_date", "reference")[offset : offset + limit]
        )
        audit.record(
            "survivor.list",
            actor=by,
            context={"shown": len(rows), "mine_only": mine_only},
            fields=["alias"],
        )
    attach_data_keys(rows)
    return rows


def _caseload_queryset(by: Any, mine_only: bool) -> QuerySet[Survivor]:
    survivors_qs: QuerySet[Survivor] = access.scope(by, Survivor).filter(erased_at__isnull=True)
    if mine_only:
        survivors_qs = survivors_qs.filter(_assigned_to(by))
    return survivors_qs


# The caseload's two per-row subqueries, in SQL (plain_sql.TableSQL says why).
def _latest_case_status() -> TableSQL:
    quote = connection.ops.quote_name
    return TableSQL(
        f"(SELECT latest.status FROM {quote(Case._meta.db_table)} latest "  # noqa: S608
        "WHERE latest.survivor_id = {table}.id "
        "ORDER BY latest.opened_on DESC, latest.created_at DESC LIMIT 1)",
        [],
        output_field=CharField(),
    )


def _assigned_to(user: Any) -> TableSQL:
    # IN (subquery) lets SQLite start from the user's cases; PostgreSQL does that from EXISTS
    # (as access.SurvivorVisibility, docs/performance.md, sixth run).
    cases = connection.ops.quote_name(Case._meta.db_table)
    if connection.vendor == "sqlite":
        sql = "{table}.id IN (SELECT mine.survivor_id FROM %s mine WHERE mine.assigned_to_id = %%s)"
    else:
        sql = (
            "EXISTS (SELECT 1 FROM %s mine "
            "WHERE mine.survivor_id = {table}.id AND mine.assigned_to_id = %%s)"
        )
    return TableSQL(sql % cases, [uuid_param(user.pk)], output_field=BooleanField())


def count_caseload(*, by: Any, mine_only: bool = True) -> int:
    return _caseload_queryset(by, mine_only).count()


def display_alias(survivor: Survivor) -> str:
    """The name to show on screens; never raises (a damaged value is flagged, not shown)."""
    if survivor.is_erased:
        return _("Erased record")
    try:
        return survivor.alias or survivor.preferred_name or survivor.reference
    except (TamperedData, RecordErased):
        return _("Record needs attention")


@dataclass
class SearchResult:
    visible: list[Survivor]
    # References of matching records in the user's organisations that they cannot open yet
    # (outside their caseload): they may use break-the-glass with a reason.
    outside_caseload: list[str]


def search_survivors(
    *, by: Any, query: str, date_of_birth: datetime.date | None = None
) -> SearchResult:
    """Exact search by reference, by alias, or by legal name + date of birth (blind indexes)."""
    query = clean_text(query, field="query", max_bytes=500)
    if not query:
        raise ValidationFailed("query: type a reference, an alias or a name.", field="query")
    organisations = access.organisations_where(by, perm.SURVIVOR_VIEW)
    if not organisations:
        return SearchResult([], [])
    # Exact matches on the reference or a blind index, in the user's organisations.
    matches = ["t.reference = %s"]
    params: list[Any] = [query.upper()]
    for org in organisations:
        matches.append("(t.organisation_id = %s AND t.alias_index = %s)")
        params += [uuid_param(org), crypto.blind_index("alias", str(org), query)]
        if date_of_birth:
            matches.append("(t.organisation_id = %s AND t.name_dob_index = %s)")
            params += [
                uuid_param(org),
                crypto.blind_index("name+dob", str(org), query, date_of_birth.isoformat()),
            ]
    in_organisations, organisation_params = plain_sql.among(
        "t.organisation_id", [uuid_param(org) for org in organisations]
    )
    with transaction.atomic():
        found = access.survivors_where(
            by,
            f"t.erased_at IS NULL AND {in_organisations} AND ({' OR '.join(matches)})",
            [*organisation_params, *params],
        )
        visible = [row for row, seen in found if seen]
        outside = [
            row.reference
            for row, seen in found
            if not seen and access.can(by, perm.BREAK_GLASS_OPEN, row.organisation_id)
        ]
        audit.record(
            "survivor.search",
            actor=by,
            context={"found": len(visible), "outside_caseload": len(outside)},
        )
    attach_data_keys(visible)
    return SearchResult(visible, outside)


def update_profile(survivor: Survivor, *, by: Any, changes: Mapping[str, Any]) -> list[str]:
    """Change profile fields. Requires survivor.edit; audits the names of changed fields."""
    access.require(by, perm.SURVIVOR_EDIT, survivor)
    if survivor.is_erased:
        raise RecordErased()
    cleaned = clean_profile(changes)
    with transaction.atomic():
        locked = Survivor.objects.select_for_update().get(pk=survivor.pk)
        set_data_key(
            locked,
            survivor.__dict__.get("_sealing_key")
            or crypto.load_data_keys([survivor.pk])[survivor.pk],
        )
        changed = _apply_profile(locked, cleaned)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            _event("survivor.update", by=by, survivor=locked, fields=changed)
    survivor.refresh_from_db()
    return [name for name in changed if not name.endswith("_index")]


# --- safe contact ------------------------------------------------------------------------


def list_contact_preferences(survivor: Survivor, *, by: Any) -> list[SafeContactPreference]:
    prefs = list(
        access.scope_of_survivor(by, SafeContactPreference, survivor, action=perm.SURVIVOR_VIEW)
    )
    attach_data_keys(prefs)
    return prefs


def set_contact_preference(
    survivor: Survivor,
    *,
    by: Any,
    channel: str,
    may_contact: bool,
    vague_only: bool = True,
    safe_times: str | None = None,
) -> SafeContactPreference:
    """Record how we may reach the survivor on one channel. Requires survivor.edit."""
    access.require(by, perm.SURVIVOR_EDIT, survivor)
    channel = check_choice(channel, ContactChannel.values, field="channel")
    times = (
        clean_text(safe_times, field="safe_times", max_bytes=SHORT_TEXT_BYTES)
        if safe_times
        else None
    )
    with transaction.atomic():
        pref = SafeContactPreference.objects.filter(survivor=survivor, channel=channel).first()
        if pref is None:
            pref = SafeContactPreference(
                survivor=survivor, organisation_id=survivor.organisation_id, channel=channel
            )
        pref.may_contact = bool(may_contact)
        pref.vague_only = bool(vague_only)
        pref.safe_times = times
        pref.save()
        _event(
            "contact_preference.set",
            by=by,
            survivor=survivor,
            target=pref,
            fields=["may_contact", "vague_only", "safe_times"],
        )
    return pref


# --- cases --------------------------------------------------------------------------------


def list_cases(survivor: Survivor, *, by: Any) -> list[Case]:
    cases = list(
        access.scope_of_survivor(by, Case, survivor, action=perm.SURVIVOR_VIEW).select_related(
            "assigned_to"
        )
    )
    attach_data_keys(cases)
    return cases


def get_case(case_id: Any, *, by: Any) -> Case:
    case = access.scope(by, Case).filter(pk=case_id).first()
    if case is None:
        raise NotFound(
            denied=access.denial(
                by, perm.SURVIVOR_VIEW, target_type="survivors.case", target_id=str(case_id)
            )
        )
    return case


CASE_FIELDS = (
    "status",
    "closure_reason",
    "assigned_to",
    "trafficking_status",
    "exploitation_types",
    "control_methods",
)


def update_case(case: Case, *, by: Any, changes: Mapping[str, Any]) -> list[str]:
    """Change a case. Closing needs a closure reason; trafficking details are never required.

    Requires case.edit (and case.assign to reassign). Audits the names of changed fields.
    """
    access.require(by, perm.CASE_EDIT, case)
    unknown = sorted(set(changes) - set(CASE_FIELDS))
    if unknown:
        raise ValidationFailed(f"{unknown[0]}: is not a case field.", field=unknown[0])
    updates: dict[str, Any] = {}
    if "status" in changes:
        updates["status"] = check_choice(changes["status"], CaseStatus.values, field="status")
    if "closure_reason" in changes:
        reason = changes["closure_reason"] or ""
        updates["closure_reason"] = check_choice(
            reason, [*ClosureReason.values, ""], field="closure_reason"
        )
    if "trafficking_status" in changes:
        value = changes["trafficking_status"] or None
        updates["trafficking_status"] = value and check_choice(
            value, TraffickingStatus.values, field="trafficking_status"
        )
    for name, choices in (
        ("exploitation_types", ExploitationType.values),
        ("control_methods", ControlMethod.values),
    ):
        if name in changes:
            values = changes[name] or []
            if not isinstance(values, list | tuple):
                raise ValidationFailed(f"{name}: must be a list.", field=name)
            updates[name] = sorted({check_choice(v, choices, field=name) for v in values}) or None
    if "assigned_to" in changes:
        access.require(by, perm.CASE_ASSIGN, case)
        assignee = changes["assigned_to"]
        if assignee is not None:
            _check_assignee(assignee, case.organisation)
        updates["assigned_to"] = assignee
    status = updates.get("status", case.status)
    reason = updates.get("closure_reason", case.closure_reason)
    if status in CLOSED_STATUSES and not reason:
        raise ValidationFailed(
            "closure_reason: say why the case is closing.", field="closure_reason"
        )
    if status not in CLOSED_STATUSES:
        updates["closure_reason"] = ""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        changed = []
        for name, value in updates.items():
            current = locked.assigned_to if name == "assigned_to" else getattr(locked, name)
            if current != value:
                setattr(locked, name, value)
                changed.append(name)
        if "status" in changed:
            locked.closed_on = timezone.localdate() if status in CLOSED_STATUSES else None
            changed.append("closed_on")
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            _event("case.update", by=by, survivor=locked.survivor, target=locked, fields=changed)
    case.refresh_from_db()
    return changed


# --- consent ------------------------------------------------------------------------------


def clean_categories(categories: Iterable[Any]) -> list[str]:
    values = list(categories)
    if not values:
        raise ValidationFailed(
            "categories: choose at least one kind of information.", field="categories"
        )
    for value in values:
        if value not in DATA_CATEGORIES:
            raise ValidationFailed(
                f"categories: {value!r} is not a data category.", field="categories"
            )
    return sorted(set(values))


def record_consent(
    survivor: Survivor,
    *,
    by: Any,
    recipient: Organisation,
    purpose: str,
    categories: Iterable[str],
    method: str,
    given_at: datetime.datetime | None = None,
    expires_at: datetime.datetime | None = None,
    witness_name: str = "",
) -> Consent:
    """Record a consent to share. Expiry is mandatory (default: the configured months).

    Requires consent.record on the survivor; audits "consent.record" with the categories.
    """
    access.require(by, perm.CONSENT_RECORD, survivor)
    if survivor.is_erased:
        raise RecordErased()
    now = timezone.now()
    given_at = check_aware(given_at, field="given_at") if given_at else now
    if given_at > now + datetime.timedelta(minutes=5):
        raise ValidationFailed("given_at: cannot be in the future.", field="given_at")
    if expires_at is None:
        expires_at = given_at + datetime.timedelta(days=settings.RECLAIM_CONSENT_DEFAULT_DAYS)
    check_aware(expires_at, field="expires_at")
    if expires_at <= given_at:
        raise ValidationFailed(
            "expires_at: must be after the consent was given.", field="expires_at"
        )
    if expires_at <= now:
        raise ValidationFailed("expires_at: is already in the past.", field="expires_at")
    purpose = check_choice(purpose, ConsentPurpose.values, field="purpose")
    method = check_choice(method, ConsentMethod.values, field="method")
    witness = clean_text(witness_name or "", field="witness_name", max_bytes=200)
    if method == ConsentMethod.VERBAL_WITNESSED and not witness:
        raise ValidationFailed(
            "witness_name: verbal consent needs a witness.", field="witness_name"
        )
    if recipient.pk == survivor.organisation_id:
        raise ValidationFailed("recipient: choose another organisation.", field="recipient")
    cleaned_categories = clean_categories(categories)
    with transaction.atomic():
        consent = Consent.objects.create(
            survivor=survivor,
            organisation_id=survivor.organisation_id,
            recipient=recipient,
            purpose=purpose,
            categories=cleaned_categories,
            method=method,
            witness_name=witness,
            given_at=given_at,
            expires_at=expires_at,
            recorded_by=by,
        )
        _event(
            "consent.record",
            by=by,
            survivor=survivor,
            target=consent,
            context={
                "recipient": recipient.pk,
                "categories": cleaned_categories,
                "purpose": purpose,
            },
        )
    return consent


def list_consents(survivor: Survivor, *, by: Any) -> list[Consent]:
    return list(
        access.scope_of_survivor(by, Consent, survivor, action=perm.SURVIVOR_VIEW).select_related(
            "recipient"
        )
    )


def get_consent(consent_id: Any, *, by: Any) -> Consent:
    consent = access.scope(by, Consent).filter(pk=consent_id).select_related("survivor").first()
    if consent is None:
        raise NotFound(
            denied=access.denial(
                by, perm.CONSENT_REVOKE, target_type="survivors.consent", target_id=str(consent_id)
            )
        )
    return consent


def revoke_consent(consent: Consent, *, by: Any, at: datetime.datetime | None = None) -> Consent:
    """Revoke at once; every later share check fails. Requires consent.revoke."""
    access.require(by, perm.CONSENT_REVOKE, consent)
    at = at or timezone.now()
    with transaction.atomic():
        updated = Consent.objects.filter(pk=consent.pk, revoked_at__isnull=True).update(
            revoked_at=at, revoked_by=by
        )
        if not updated:
            raise ValidationFailed("consent: was already revoked.", field="consent")
        _event("consent.revoke", by=by, survivor=consent.survivor, target=consent)
    consent.refresh_from_db()
    return consent


def allows(
    survivor: Survivor | Any,
    recipient: Organisation | Any,
    categories: Iterable[str],
    purpose: str,
    at: datetime.datetime | None = None,
) -> bool:
    """Whether one valid consent covers sharing these categories with this recipient now.

    Valid means given at or before `at`, expiring after it, and not revoked by then. Never
    cached: call it at every read of shared data.
    """
    return allows_each([(survivor, recipient, categories, purpose)], at)[0]


def _uuid_or_none(row_or_id: Any) -> uuid.UUID | None:
    """The id of a row, or an id given as a UUID or its text; None for anything else."""
    value = getattr(row_or_id, "pk", row_or_id)
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def allows_each(
    questions: Iterable[tuple[Survivor | Any, Organisation | Any, Iterable[str], str]],
    at: datetime.datetime | None = None,
) -> list[bool]:
    """`allows` for each (survivor, recipient, categories, purpose), in order, from one query
    (a list of referrals asks it once per row). Never cached either."""
    at = at or timezone.now()
    wanted = [
        (_uuid_or_none(survivor), _uuid_or_none(recipient), set(kinds), why)
        for survivor, recipient, kinds, why in questions
    ]
    askable = [
        question
        for question in wanted
        if question[0] and question[1] and question[2] and question[2] <= KNOWN_CATEGORIES
    ]
    covered: dict[tuple[Any, Any, str], list[set[str]]] = {}
    if askable:
        # Plain SQL: every packet read and inbox row asks this (see plain_sql).
        survivors_in, survivor_params = plain_sql.among(
            "t.survivor_id", [uuid_param(s) for s in {s for s, _r, _k, _p in askable}]
        )
        recipients_in, recipient_params = plain_sql.among(
            "t.recipient_id", [uuid_param(r) for r in {r for _s, r, _k, _p in askable}]
        )
        purposes_in, purpose_params = plain_sql.among(
            "t.purpose", sorted({p for _s, _r, _k, p in askable})
        )
        moment = plain_sql.datetime_param(at)
        # Only the four columns the answer needs: a survivor may hold several valid consents
        # for one recipient (renewals), and whole rows cost more to convert than to read.
        table = connection.ops.quote_name(Consent._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.survivor_id, t.recipient_id, t.purpose, t.categories "  # noqa: S608
                f"FROM {table} t WHERE {survivors_in} AND {recipients_in} AND {purposes_in} "
                "AND t.given_at <= %s AND t.expires_at > %s "
                "AND (t.revoked_at IS NULL OR t.revoked_at > %s)",
                [*survivor_params, *recipient_params, *purpose_params, moment, moment, moment],
            )
            valid = cursor.fetchall()
        for survivor_id, recipient_id, purpose, categories in valid:
            if isinstance(categories, str):  # JSON text (SQLite, and Django's psycopg loaders)
                categories = json.loads(categories)
            key = (_uuid_or_none(survivor_id), _uuid_or_none(recipient_id), purpose)
            covered.setdefault(key, []).append(set(categories))
    return [
        bool(kinds)
        and kinds <= KNOWN_CATEGORIES
        and any(kinds <= given for given in covered.get((survivor_id, recipient_id, purpose), []))
        for survivor_id, recipient_id, kinds, purpose in wanted
    ]


def consent_summary(consent: Consent, language: str = "en") -> str:
    """The consent in plain words, for the survivor to read (English or Spanish)."""
    with override(language):
        kinds = ", ".join(str(DATA_CATEGORY_LABELS[c]) for c in consent.categories)
        return _(
            "You agreed that %(recipient)s may see %(kinds)s, for %(purpose)s. "
            "This lasts until %(until)s. You can change your mind at any time, and we will "
            "stop sharing straight away."
        ) % {
            "recipient": consent.recipient.name,
            "kinds": kinds,
            "purpose": str(ConsentPurpose(consent.purpose).label).lower(),
            "until": timezone.localtime(consent.expires_at).date().isoformat(),
        }


def consent_state(consent: Consent, at: datetime.datetime | None = None) -> str:
    at = at or timezone.now()
    if consent.revoked_at is not None and consent.revoked_at <= at:
        return "revoked"
    if consent.expires_at <= at:
        return "expired"
    return "active"


# --- break-the-glass ----------------------------------------------------------------------


def open_break_glass(reference: str, *, by: Any, reason: str) -> Survivor:
    """Give a case manager one hour of access to a survivor outside their caseload.

    Needs a written reason (at least 20 characters) and breakglass.open in the survivor's
    organisation; the grant appears in the supervisors' review queue. Audited.
    """
    reason = clean_text(reason, field="reason", max_bytes=2000, multiline=True)
    if len(reason) < 20:
        raise ValidationFailed(
            "reason: explain in a sentence why you need this record now.", field="reason"
        )
    organisations = access.organisations_where(by, perm.BREAK_GLASS_OPEN)
    survivor = Survivor.objects.filter(
        reference=str(reference).strip().upper(),
        organisation_id__in=organisations,
        erased_at__isnull=True,
    ).first()
    if survivor is None:
        raise NotFound(
            denied=access.denial(
                by, perm.BREAK_GLASS_OPEN, target_type="survivors.survivor", target_id="reference"
            )
        )
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            user=by,
            organisation_id=survivor.organisation_id,
            survivor_id=survivor.id,
            reason=reason,
            granted_at=now,
            expires_at=now + datetime.timedelta(minutes=settings.RECLAIM_BREAK_GLASS_MINUTES),
        )
        _event("breakglass.open", by=by, survivor=survivor, target=grant)
    return survivor


def list_break_glass_for_review(
    *, by: Any, include_reviewed: bool = False
) -> list[BreakGlassGrant]:
    organisations = access.organisations_where(by, perm.BREAK_GLASS_REVIEW)
    if not organisations:
        raise Forbidden()
    grants = BreakGlassGrant.objects.filter(organisation_id__in=organisations).select_related(
        "user", "reviewed_by"
    )
    if not include_reviewed:
        grants = grants.filter(reviewed_at__isnull=True)
    return list(grants.order_by("-granted_at")[:200])


def review_break_glass(grant_id: Any, *, by: Any, note: str = "") -> BreakGlassGrant:
    """Mark an emergency access as reviewed by a supervisor. Audited."""
    organisations = access.organisations_where(by, perm.BREAK_GLASS_REVIEW)
    grant = BreakGlassGrant.objects.filter(pk=grant_id, organisation_id__in=organisations).first()
    if grant is None:
        raise NotFound(
            denied=access.denial(
                by,
                perm.BREAK_GLASS_REVIEW,
                target_type="core.breakglassgrant",
                target_id=str(grant_id),
            )
        )
    note = clean_text(note or "", field="note", max_bytes=2000, multiline=True)
    with transaction.atomic():
        updated = BreakGlassGrant.objects.filter(pk=grant.pk, reviewed_at__isnull=True).update(
            reviewed_at=timezone.now(), reviewed_by=by, review_note=note
        )
        if not updated:
            raise ValidationFailed("grant: was already reviewed.", field="grant")
        audit.record(
            "breakglass.review",
            actor=by,
            organisation_id=grant.organisation_id,
            subject_id=grant.survivor_id,
            target=grant,
        )
    grant.refresh_from_db()
    return grant


# --- erasure ------------------------------------------------------------------------------


def erase_survivor(survivor: Survivor, *, by: Any, reason: str) -> Survivor:
    """Crypto-shred a survivor: delete their data key, clear the blind indexes.

    Requires survivor.erase (organisation admin). The record stays as "erased"; the audit keeps
    the event with ids only; open break-the-glass grants end, and so do open referrals
    (cancelled, reason consent_ended: the partner loses the packet at once). Raises
    RecordErased if the record was already erased (also when two admins erase at once).
    """
    access.require(by, perm.SURVIVOR_ERASE, survivor)
    return _erase(survivor, by=by, reason=reason)


def erase_by_reference(reference: str, *, reason: str, by: Any = None) -> Survivor:
    """For `reclaim erase-survivor` run by an operator on the server (by=None: the system)."""
    survivor = Survivor.objects.filter(reference=reference.strip().upper()).first()
    if survivor is None:
        raise NotFound()
    if by is not None:
        return erase_survivor(survivor, by=by, reason=reason)
    return _erase(survivor, by=None, reason=reason, context={"via": "command"})


def _erase(
    survivor: Survivor, *, by: Any, reason: str, context: dict[str, Any] | None = None
) -> Survivor:
    reason = clean_text(reason, field="reason", max_bytes=500)
    if len(reason) < 5:
        raise ValidationFailed("reason: say why (without personal details).", field="reason")
    now = timezone.now()
    with transaction.atomic():
        # Conditional update, not check-then-act: only one erasure of a record wins.
        erased = Survivor.objects.filter(pk=survivor.pk, erased_at__isnull=True).update(
            erased_at=now,
            erased_by=by,
            erasure_reason=reason,
            alias_index="",
            name_dob_index="",
        )
        if not erased:
            raise RecordErased()
        BreakGlassGrant.objects.filter(survivor_id=survivor.pk, expires_at__gt=now).update(
            expires_at=now
        )
        _event("survivor.erase", by=by, survivor=survivor, context=context)
        # Open referrals close with the record (the referrals app answers this).
        signals.survivor_erased.send(Survivor, survivor_id=survivor.pk, by=by, at=now)
        # The keystore is another database: the key is gone once this returns. If the main
        # commit then failed, the record is unreadable (RecordErased) and erasure can be rerun.
        crypto.shred_data_key(survivor.pk)
    survivor.refresh_from_db()
    return survivor


# --- audit trail (supervisors) ------------------------------------------------------------


def survivor_audit_trail(
    survivor: Survivor, *, by: Any, limit: int = 200
) -> list[audit.AuditEvent]:
    access.require(by, perm.AUDIT_VIEW, survivor)
    return list(audit.AuditEvent.objects.filter(subject_id=survivor.pk).order_by("-seq")[:limit])


def report_tamper(error: TamperedData, *, by: Any) -> None:
    """Audit a ciphertext that failed to open (see core.audit.report_tamper)."""
    audit.report_tamper(error, by=by)
