"""Raw-SQL baselines for the directory and referral operations of `network.py`.

Each baseline is the shortest SQL we can write for the same result, on SQLite and PostgreSQL
alike, with no access check, no decryption and no audit write (as in `operations.py`): the
table's overhead ratio is what our code costs on top of the database. Where the SQL computes
less than the real code (matching), the comment says what it leaves out.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from reclaim.care.models import (
    Assessment,
    Domain,
    DomainScore,
    Goal,
    GoalStep,
    Screening,
    ScreeningStatus,
)
from reclaim.core import permissions as perm
from reclaim.core.models import Membership, Role, User
from reclaim.directory.matching import (
    POINTS_INTERPRETATION,
    POINTS_LANGUAGE,
    POINTS_PER_NEED,
    POINTS_PREFERRED,
    Preferences,
)
from reclaim.directory.models import (
    Location,
    Service,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceMatchRow,
    ServiceType,
)
from reclaim.directory.services.match_rows import ANY_NEED, LANGUAGE_BIT, NEED_BIT, language_mask
from reclaim.referrals.models import Notification, Referral, ReferralEvent
from reclaim.survivors.models import Case, Consent, SafeContactPreference, Survivor

from .operations import _concrete_field, _fetch, _fetch_keys, _main_id

Rows = list[tuple[Any, ...]]
PAGE = 10
KM_PER_DEGREE = 111.0
CLEANUP_CHUNK = 500

SERVICE = Service._meta.db_table
# The columns the ORM loads (not `s.*`: the table may hold more, such as a stored search vector).
SERVICE_COLUMNS = ", ".join(f"s.{field.column}" for field in Service._meta.concrete_fields)
SERVICE_TYPE = ServiceType._meta.db_table
MATCH_ROWS = ServiceMatchRow._meta.db_table
SERVICE_LANGUAGE = ServiceLanguage._meta.db_table
SERVICE_AT_LOCATION = ServiceAtLocation._meta.db_table
LOCATION = Location._meta.db_table
REFERRAL = Referral._meta.db_table
REFERRAL_EVENT = ReferralEvent._meta.db_table
NOTIFICATION = Notification._meta.db_table
CONSENT = Consent._meta.db_table
SURVIVOR = Survivor._meta.db_table


def _marks(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _at(value: datetime.datetime) -> Any:
    return _concrete_field(Consent, "given_at").get_db_prep_value(value, connection)


def _insert(cursor: Any, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT, the values prepared for this connection as the ORM would."""
    names = list(rows[0])
    fields = [_concrete_field(model, name) for name in names]
    columns = ", ".join(str(field.column) for field in fields)
    params = [
        field.get_db_prep_save(row[name], connection)
        for row in rows
        for field, name in zip(fields, names, strict=True)
    ]
    values = ", ".join([f"({_marks(names)})"] * len(rows))
    cursor.execute(f"INSERT INTO {model._meta.db_table} ({columns}) VALUES {values}", params)


def _consent_rows(cursor: Any, referral_like: tuple[Any, Any, str], at: Any) -> Rows:
    """The valid consents of (survivor, recipient, purpose) now, of a survivor not erased.

    The same conditions as survivors.allows (whose category subset test stays in Python) and
    the erasure check the referral services make before sharing, in one query.
    """
    survivor_id, recipient_id, purpose = referral_like
    cursor.execute(
        f"SELECT c.categories FROM {CONSENT} c INNER JOIN {SURVIVOR} s ON s.id = c.survivor_id "
        "WHERE c.survivor_id = %s AND c.recipient_id = %s AND c.purpose = %s "
        "AND c.given_at <= %s AND c.expires_at > %s "
        "AND NOT (c.revoked_at IS NOT NULL AND c.revoked_at <= %s) AND s.erased_at IS NULL",
        [_main_id(survivor_id), _main_id(recipient_id), purpose, at, at, at],
    )
    return list(cursor.fetchall())


# --- directory ----------------------------------------------------------------------------------


def _match_sql(
    needs: Sequence[str], preferences: Preferences, near: Any, *, limit: int
) -> tuple[str, list[Any]]:
    """The top `limit` services for these needs and preferences, from the match rows.

    Reads the same match rows and indexes as match_services (one row per need a service
    meets, one per service: the row of the first wanted need it meets), with the same hard
    rules (active, gender and age eligibility, open capacity / free / no immigration status
    required when asked) and, with a distance limit, only services with a site in the
    bounding box of the circle (or with no located site). Scores with rank_services' points
    but for closeness: fixed points, 30 per need met, a preferred language spoken (else
    interpretation), and each preference satisfied. Then the page's service rows.
    Does not compute: the exact (haversine) distance, so neither the too-far rule inside the
    box nor closeness points nor ties by distance; services with several sites are kept in
    a box without checking their sites; the counts of all ranked and left out; the reasons;
    the left-out list; the organisation, types and languages of each shown service.
    """
    wanted = sorted(set(needs))
    if wanted:
        alternatives, earlier = [], 0
        for need in wanted:
            alternatives.append(
                f"(r.need = %s AND (r.need_mask & {earlier}) = 0)" if earlier else "r.need = %s"
            )
            earlier |= NEED_BIT[need]
        where = [f"r.need IN ({_marks(wanted)})", f"({' OR '.join(alternatives)})"]
        params: list[Any] = [*wanted, *wanted]
    else:  # no needs: every service with a type, as match_services does
        where, params = ["r.need = %s"], [ANY_NEED]
    where.append("r.is_active")
    if preferences.gender == "man":
        where.append("r.gender_eligibility <> 'women'")
    if preferences.gender == "woman" or preferences.women_only:
        where.append("r.gender_eligibility <> 'men'")
    if preferences.age is not None:
        where.append("(r.minimum_age IS NULL OR r.minimum_age <= %s)")
        where.append("(r.maximum_age IS NULL OR r.maximum_age >= %s)")
        params += [preferences.age, preferences.age]
    if preferences.needs_open_capacity:
        where.append("(r.capacity_available IS NULL OR r.capacity_available > 0)")
    if preferences.free_only:
        where.append("(r.free_of_charge IS NULL OR r.free_of_charge)")
    if preferences.has_immigration_status is False:
        where.append("NOT r.immigration_status_required")
    if near is not None and preferences.max_distance_km is not None:
        km = preferences.max_distance_km
        lat_span = km / KM_PER_DEGREE
        cos = max(math.cos(math.radians(near.latitude)), 0.01)
        lon_span = min(180.0, km / (KM_PER_DEGREE * cos))
        where.append(
            "(r.site_count <> 1 OR (r.latitude BETWEEN %s AND %s "
            "AND r.longitude BETWEEN %s AND %s))"
        )
        params += [
            near.latitude - lat_span,
            near.latitude + lat_span,
            near.longitude - lon_span,
            near.longitude + lon_span,
        ]
    score = ["r.fixed_points"]
    score += [
        f"CASE WHEN (r.need_mask & {NEED_BIT[need]}) <> 0 THEN {POINTS_PER_NEED} ELSE 0 END"
        for need in wanted
    ]
    score_params: list[Any] = []
    if preferences.languages:
        speaks = f"(r.language_mask & {language_mask(preferences.languages)}) <> 0"
        others = [code for code in preferences.languages if code not in LANGUAGE_BIT]
        if others:
            speaks += (
                f" OR EXISTS (SELECT 1 FROM {SERVICE_LANGUAGE} l WHERE l.service_id = "
                f"r.service_id AND l.code IN ({_marks(others)}))"
            )
            score_params += others
        score.append(
            f"CASE WHEN {speaks} THEN {POINTS_LANGUAGE} "
            f"WHEN r.interpretation_available THEN {POINTS_INTERPRETATION} ELSE 0 END"
        )
    for wished, column in (
        (preferences.women_only, "r.gender_eligibility = 'women'"),
        (preferences.female_staff, "r.female_staff_available"),
        (preferences.survivor_led, "r.survivor_led"),
        (preferences.lgbtq_affirming, "r.lgbtq_affirming"),
    ):
        if wished:
            score.append(f"CASE WHEN {column} THEN {POINTS_PREFERRED} ELSE 0 END")
    best = (
        f"SELECT r.service_id, r.name_key, {' + '.join(score)} AS score FROM {MATCH_ROWS} r "
        f"WHERE {' AND '.join(where)} ORDER BY score DESC, r.name_key, r.service_id "
        f"LIMIT {int(limit)}"
    )
    sql = (
        f"SELECT {SERVICE_COLUMNS}, best.score FROM ({best}) best "
        f"INNER JOIN {SERVICE} s ON s.id = best.service_id "
        "ORDER BY best.score DESC, best.name_key, best.service_id"
    )
    return sql, [*score_params, *params]


def match_top10_sql(
    need_sets: Sequence[Sequence[str]],
    preference_sets: Sequence[Preferences],
    points: Sequence[Any],
    *,
    limit: int = PAGE,
) -> Callable[[int], Rows]:
    """The baseline of directory_match_top10: the same rotation of needs, preferences, points
    (a larger `limit` lets tests compare every service the SQL keeps)."""

    def run(i: int) -> Rows:
        sql, params = _match_sql(
            need_sets[i % len(need_sets)],
            preference_sets[i % len(preference_sets)],
            points[i % len(points)],
            limit=limit,
        )
        return _fetch(sql, params)

    return run


SEARCH_COUNT_LIMIT = 1_000  # search_services counts a word search up to this many


def _service_rows(ids: list[Any]) -> Rows:
    """The page's service rows, in the page's order."""
    if not ids:
        return []
    sql = f"SELECT {SERVICE_COLUMNS} FROM {SERVICE} s WHERE s.id IN ({_marks(ids)})"
    rows = {row[0]: row for row in _fetch(sql, ids)}
    return [rows[key] for key in ids if key in rows]


def search_fts_sql(words: Sequence[str]) -> Callable[[int], tuple[Rows, int]]:
    """The baseline of directory_search_fts: the same query shape as search_services, in the
    fewest statements: the number of active services holding every word (as a prefix, up to
    1,000), one page of 10 (name matches first, each group by folded name and id) from the
    narrow search rows, then the page's service rows. SQLite counts the named services
    (from its index alone); PostgreSQL reads their page with the count and knows from it.
    """
    if connection.vendor == "postgresql":
        return _search_fts_postgresql(words)
    return _search_fts_sqlite(words)


def _search_fts_postgresql(words: Sequence[str]) -> Callable[[int], tuple[Rows, int]]:
    found = (
        "FROM directory_service_search f WHERE f.{vector} @@ to_tsquery('simple', %s) AND f.active"
    )
    first = (
        f"SELECT (SELECT count(*) FROM (SELECT 1 {found.format(vector='search_vector')} "
        f"LIMIT {SEARCH_COUNT_LIMIT + 1}) a), "
        f"ARRAY(SELECT f.service_id {found.format(vector='name_vector')} "
        f"ORDER BY f.search_name, f.service_id LIMIT {PAGE})"
    )

    def run(i: int) -> tuple[Rows, int]:
        query = " & ".join(f"{word}:*" for word in words[i % len(words)].lower().split())
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # as search_services does
            cursor.execute(first, [query, query])
            count, named = cursor.fetchone()
            ids = list(named)
            if len(ids) < PAGE:
                unnamed = " AND NOT f.name_vector @@ to_tsquery('simple', %s)" if ids else ""
                cursor.execute(
                    f"SELECT f.service_id {found.format(vector='search_vector')}{unnamed} "
                    f"ORDER BY f.search_name, f.service_id LIMIT {PAGE - len(ids)}",
                    [query, query] if ids else [query],
                )
                ids += [row[0] for row in cursor.fetchall()]
        return _service_rows(ids), min(int(count), SEARCH_COUNT_LIMIT)

    return run


def _search_fts_sqlite(words: Sequence[str]) -> Callable[[int], tuple[Rows, int]]:
    counts = (
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM directory_service_fts "
        f"WHERE directory_service_fts MATCH %s LIMIT {SEARCH_COUNT_LIMIT + 1})), "
        "(SELECT count(*) FROM directory_service_fts WHERE directory_service_fts MATCH %s)"
    )
    page = (
        "SELECT k.service_id FROM directory_service_fts "
        "JOIN directory_service_fts_key k ON k.id = directory_service_fts.rowid "
        "WHERE directory_service_fts MATCH %s ORDER BY k.search_name, k.service_id LIMIT %s"
    )

    def run(i: int) -> tuple[Rows, int]:
        terms = " ".join(f'"{word}"*' for word in words[i % len(words)].lower().split())
        everywhere = f"(body : ({terms})) NOT hidden : hidden"
        in_name = f"(name : ({terms})) NOT hidden : hidden"
        elsewhere = f"(body : ({terms}) NOT name : ({terms})) NOT hidden : hidden"
        total, named = _fetch(counts, [everywhere, in_name])[0]
        ids = [row[0] for row in _fetch(page, [in_name, PAGE])] if named else []
        if len(ids) < PAGE:
            ids += [row[0] for row in _fetch(page, [elsewhere, PAGE - len(ids)])]
        return _service_rows(ids), min(int(total), SEARCH_COUNT_LIMIT)

    return run


# --- referrals ----------------------------------------------------------------------------------


def _receiving_roles() -> list[str]:
    return [str(role) for role in Role if perm.role_allows(role, perm.REFERRAL_RECEIVE)]


class CreateSendSql:
    """The baseline of referral_create_send, and a context that deletes what it inserted.

    The real operation writes a referral sent to the partner: the referral row, its two history
    events (created as a draft, then sent), one in-app notification per receiving member of
    the partner, after checking a consent, in two transactions (prepare, then send). The
    baseline writes the same rows in one, with the consent check as one SELECT (no access
    check, no audit events, whose hash chain raw SQL cannot extend). It commits rather than
    rolls back, as the real one does (a rollback would skip the commit's flush and flatter the
    database); `cleaned_up`, entered by the harness around the timings, deletes the inserted
    rows afterwards, outside them, so the baseline does not grow the data.
    """

    def __init__(
        self,
        consents: Sequence[tuple[Any, Any]],
        survivors: dict[Any, Any],
        *,
        by: Any,
        recipient_id: Any,
    ) -> None:
        self.consents = consents
        self.survivors = survivors
        self.by = by
        self.recipient_id = recipient_id
        self.inserted: list[uuid.UUID] = []
        self.roles = _receiving_roles()
        user, roles = User._meta.db_table, _marks(self.roles)
        self.members_sql = (
            f"SELECT DISTINCT m.user_id FROM {Membership._meta.db_table} m "
            f"INNER JOIN {user} u ON u.id = m.user_id WHERE m.organisation_id = %s "
            f"AND m.is_active = %s AND u.is_active = %s AND m.role IN ({roles}) "
            "AND m.user_id <> %s"
        )

    def __call__(self, i: int) -> None:
        survivor_id, categories = self.consents[i % len(self.consents)]
        organisation_id = self.survivors[survivor_id].organisation_id
        now = timezone.now()
        referral_id = uuid.uuid4()
        with transaction.atomic(), connection.cursor() as cursor:
            key = (survivor_id, self.recipient_id, "referral")
            if not _consent_rows(cursor, key, _at(now)):
                raise RuntimeError("no consent covers the baseline's referral")
            _insert(
                cursor,
                Referral,
                [
                    {
                        "id": referral_id,
                        "survivor_id": survivor_id,
                        "organisation_id": organisation_id,
                        "recipient_id": self.recipient_id,
                        "service_id": None,
                        "service_name": "",
                        "purpose": "referral",
                        "categories": sorted(categories),
                        "status": "requested",
                        "created_by_id": self.by.pk,
                        "created_at": now,
                        "sent_at": now,
                        "responded_at": None,
                        "updated_at": now,
                    }
                ],
            )
            event = {
                "referral_id": referral_id,
                "at": now,
                "by_id": self.by.pk,
                "by_organisation_id": organisation_id,
                "reason": "",
                "reason_note": "",
                "via": "web",
            }
            _insert(
                cursor,
                ReferralEvent,
                [
                    {"id": uuid.uuid4(), "from_status": "", "to_status": "draft", **event},
                    {"id": uuid.uuid4(), "from_status": "draft", "to_status": "requested", **event},
                ],
            )
            cursor.execute(
                self.members_sql,
                [
                    _main_id(self.recipient_id),
                    True,
                    True,
                    *self.roles,
                    _main_id(self.by.pk),
                ],
            )
            members = [row[0] for row in cursor.fetchall()]
            if members:
                _insert(
                    cursor,
                    Notification,
                    [
                        {
                            "id": uuid.uuid4(),
                            "user_id": user_id,
                            "referral_id": referral_id,
                            "kind": "referral.requested",
                            "created_at": now,
                            "read_at": None,
                        }
                        for user_id in members
                    ],
                )
        self.inserted.append(referral_id)

    @contextlib.contextmanager
    def cleaned_up(self) -> Iterator[None]:
        try:
            yield
        finally:
            self._delete_inserted()

    def _delete_inserted(self) -> None:
        while self.inserted:
            chunk = [_main_id(pk) for pk in self.inserted[:CLEANUP_CHUNK]]
            marks = _marks(chunk)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {NOTIFICATION} WHERE referral_id IN ({marks})", chunk)
                cursor.execute(
                    f"DELETE FROM {REFERRAL_EVENT} WHERE referral_id IN ({marks})", chunk
                )
                cursor.execute(f"DELETE FROM {REFERRAL} WHERE id IN ({marks})", chunk)
            del self.inserted[:CLEANUP_CHUNK]


def partner_step_sql(
    sent: Sequence[Any], steps: Sequence[str], *, by: Any
) -> Callable[[int], None]:
    """The baseline of referral_partner_step: on the same referrals, the same next step.

    One transaction: the current status (locked on PostgreSQL, as select_for_update does), the
    consent check a forward step needs, the UPDATE, its history event and the notification to
    the referral's author. No access check, no audit event. It moves the real referrals on, as
    the real operation does: with the harness's counts (one real and one baseline step per
    sent referral, three for the first) none reaches "completed", so the packet reads that
    follow still find them open.
    """
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    by_id = by.pk

    def run(i: int) -> None:
        referral = sent[i % len(sent)]
        now = timezone.now()
        at = _at(now)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT status FROM {REFERRAL} WHERE id = %s{lock}", [_main_id(referral.pk)]
            )
            (status,) = cursor.fetchone()
            current = steps.index(status) + 1 if status in steps else 0
            if current >= len(steps):
                return
            target = steps[current]
            key = (referral.survivor_id, referral.recipient_id, referral.purpose)
            if not _consent_rows(cursor, key, at):
                raise RuntimeError("no consent covers the baseline's step")
            responded = at if target in ("received", "accepted", "rejected") else None
            cursor.execute(
                f"UPDATE {REFERRAL} SET status = %s, updated_at = %s, "
                "responded_at = COALESCE(responded_at, %s) WHERE id = %s",
                [target, at, responded, _main_id(referral.pk)],
            )
            _insert(
                cursor,
                ReferralEvent,
                [
                    {
                        "id": uuid.uuid4(),
                        "referral_id": referral.pk,
                        "from_status": status,
                        "to_status": target,
                        "at": now,
                        "by_id": by_id,
                        "by_organisation_id": referral.recipient_id,
                        "reason": "",
                        "reason_note": "",
                        "via": "web",
                    }
                ],
            )
            if referral.created_by_id and referral.created_by_id != by_id:
                _insert(
                    cursor,
                    Notification,
                    [
                        {
                            "id": uuid.uuid4(),
                            "user_id": referral.created_by_id,
                            "referral_id": referral.pk,
                            "kind": f"referral.{target}",
                            "created_at": now,
                            "read_at": None,
                        }
                    ],
                )

    return run


def packet_read_sql(sent: Sequence[Any], *, by: Any = None) -> Callable[[int], None]:
    """The read of referral_packet_read: the rows a packet is built from, consented
    categories only, and the survivor's data key; no decryption, no audit (network.py adds
    the event). With `by`, the referral is read only if they are active in the recipient
    organisation, as the partner's access rule.

    The referral, its consent check, the survivor, the latest case, the safe-contact
    preferences (with "contact"), the latest assessment's scores and the goals with their steps
    in consented domains, and the completed screenings (with "mental_health").
    """
    case = Case._meta.db_table
    contact = SafeContactPreference._meta.db_table
    score, domain = DomainScore._meta.db_table, Domain._meta.db_table
    goal, step = Goal._meta.db_table, GoalStep._meta.db_table

    def run(i: int) -> None:
        referral = sent[i % len(sent)]
        survivor = _main_id(referral.survivor_id)
        categories = sorted(referral.categories)
        marks = _marks(categories)
        if by is None:
            _fetch(f"SELECT * FROM {REFERRAL} WHERE id = %s", [_main_id(referral.pk)])
        else:
            _fetch(
                f"SELECT * FROM {REFERRAL} WHERE id = %s AND recipient_id IN ("
                f"SELECT organisation_id FROM {Membership._meta.db_table} "
                "WHERE user_id = %s AND is_active)",
                [_main_id(referral.pk), _main_id(by.pk)],
            )
        with connection.cursor() as cursor:
            key = (referral.survivor_id, referral.recipient_id, referral.purpose)
            _consent_rows(cursor, key, _at(timezone.now()))
        _fetch(f"SELECT * FROM {SURVIVOR} WHERE id = %s", [survivor])
        _fetch_keys([referral.survivor_id])
        _fetch(
            f"SELECT * FROM {case} WHERE survivor_id = %s "
            "ORDER BY opened_on DESC, created_at DESC LIMIT 1",
            [survivor],
        )
        if "contact" in categories:
            _fetch(f"SELECT * FROM {contact} WHERE survivor_id = %s ORDER BY channel", [survivor])
        _fetch(
            f"SELECT sc.score, d.code, d.custom_label, d.category FROM {score} sc "
            f"INNER JOIN {domain} d ON d.id = sc.domain_id WHERE sc.assessment_id = ("
            f"SELECT a.id FROM {Assessment._meta.db_table} a WHERE a.survivor_id = %s "
            "ORDER BY a.assessed_on DESC, a.created_at DESC LIMIT 1) "
            f"AND d.category IN ({marks}) "
            "ORDER BY sc.score IS NULL, sc.score, d.position, d.code",
            [survivor, *categories],
        )
        _fetch(
            f"SELECT g.*, d.code, st.* FROM {goal} g INNER JOIN {domain} d ON d.id = g.domain_id "
            f"LEFT JOIN {step} st ON st.goal_id = g.id "
            f"WHERE g.survivor_id = %s AND d.category IN ({marks})",
            [survivor, *categories],
        )
        if "mental_health" in categories:
            _fetch(
                "SELECT instrument, version, total, band, administered_at "
                f"FROM {Screening._meta.db_table} WHERE survivor_id = %s AND status = %s "
                "ORDER BY administered_at DESC",
                [survivor, ScreeningStatus.COMPLETED],
            )

    return run
