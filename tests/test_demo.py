"""The demo seed (`reclaim.seed`) and the `demo` management command."""

from __future__ import annotations

import datetime
import re
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import override_settings

from reclaim import seed
from reclaim.core.models import AuditEvent, Membership, Organisation, Team, User
from reclaim.survivors import services
from reclaim.survivors.models import Survivor
from tests.shared_data import rolled_back_afterwards

TODAY = datetime.date(2026, 1, 15)


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _all_survivors() -> list[Survivor]:
    return services.list_caseload(by=_user("admin"), mine_only=False, limit=1000)


# --- the generator ------------------------------------------------------------------------


def test_generator_gives_the_same_people_for_the_same_seed():
    first = seed.synthetic_survivors(30, today=TODAY)
    again = seed.synthetic_survivors(30, today=TODAY)
    other = seed.synthetic_survivors(30, seed=1, today=TODAY)

    assert [p.profile for p in first] == [p.profile for p in again]
    assert [p.profile["legal_name"] for p in first] != [p.profile["legal_name"] for p in other]


def test_generator_makes_english_and_spanish_speakers_with_fictional_phone_numbers():
    people = seed.synthetic_survivors(200, today=TODAY)

    assert {p.language for p in people} == {"en", "es"}
    assert all(re.fullmatch(r"\+1 \d{3} 555 01\d\d", p.profile["phone"]) for p in people)
    assert all(p.profile["intake_date"] < TODAY for p in people)
    assert all(p.profile["date_of_birth"] < p.profile["intake_date"] for p in people)
    assert {state for p in people for _, state in p.consents} == {"active", "expired", "revoked"}


# --- seeding ------------------------------------------------------------------------------


def test_seeding_creates_the_network_accounts_and_survivors():
    summary = seed.seed_demo(survivors_wanted=9, progress=False)

    assert sorted(Organisation.objects.values_list("name", flat=True)) == [
        "Bridges Health Clinic",
        "Harbor House",
        "Justice Legal Aid",
    ]
    assert Team.objects.count() == 4
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == {
        "org_admin",
        "supervisor",
        "case_manager",
        "partner_staff",
        "mentor",
        "program_manager",
        "survivor",
    }
    assert (summary.survivors_created, summary.survivors_total) == (9, 9)
    assert len(_all_survivors()) == 9


def test_seeding_twice_changes_nothing_the_second_time():
    seed.seed_demo(survivors_wanted=6, progress=False)
    counts = (User.objects.count(), Membership.objects.count(), Team.objects.count())
    references = sorted(s.reference for s in _all_survivors())
    events = AuditEvent.objects.count()

    summary = seed.seed_demo(survivors_wanted=6, progress=False)

    # Nothing was written at all, so nothing was audited either.
    assert AuditEvent.objects.count() == events
    assert summary.survivors_created == 0
    assert (User.objects.count(), Membership.objects.count(), Team.objects.count()) == counts
    assert Organisation.objects.count() == 3
    assert sorted(s.reference for s in _all_survivors()) == references


def test_seeding_with_a_higher_target_only_adds_the_missing_survivors():
    seed.seed_demo(survivors_wanted=4, progress=False)
    before = {s.reference for s in _all_survivors()}

    summary = seed.seed_demo(survivors_wanted=7, progress=False)

    after = {s.reference for s in _all_survivors()}
    assert summary.survivors_created == 3
    assert before < after
    assert len(after) == 7


def test_demo_survivors_have_a_care_history_to_show():
    from reclaim.care import services as care

    seed.seed_demo(survivors_wanted=6, progress=False)
    manager = User.objects.get(username="casemanager")
    first = services.list_caseload(by=manager)[0]
    survivor = services.get_survivor(first.pk, by=manager)
    progress = care.progress_data(survivor, by=manager)
    assert len(progress["assessments"]) == 3
    assert {line["instrument"] for line in progress["screenings"]} == {"phq9", "gad7"}
    assert care.list_goals(survivor, by=manager)


# --- the command --------------------------------------------------------------------------


def test_demo_command_refuses_to_run_outside_demo_mode():
    with override_settings(DEMO=False), pytest.raises(CommandError, match="demo mode"):
        call_command("demo", "--no-serve", "--survivors", "1")

    assert Organisation.objects.count() == 0


@pytest.fixture
def demo_mode(tmp_path):
    with override_settings(DEMO=True, STATIC_ROOT=tmp_path / "static"):
        yield


def test_demo_command_seeds_and_prints_every_login_without_serving(demo_mode, capsys, monkeypatch):
    from reclaim.core.management.commands import serve

    monkeypatch.setattr(serve.Command, "handle", lambda *a, **k: pytest.fail("must not serve"))

    call_command("demo", "--no-serve", "--survivors", "3", verbosity=0)

    out = capsys.readouterr().out
    assert seed.DEMO_PASSWORD in out
    for account in seed.ACCOUNTS:
        assert re.search(rf"^\s+{account.username}\s", out, re.MULTILINE)
    assert len(_all_survivors()) == 3


def test_demo_command_serves_on_the_requested_address(demo_mode, monkeypatch):
    from reclaim.core.management.commands import serve

    served = {}
    monkeypatch.setattr(serve.Command, "handle", lambda self, *a, **k: served.update(k))

    call_command("demo", "--survivors", "0", "--bind", "127.0.0.1:8123", verbosity=0)

    assert served["bind"] == "127.0.0.1:8123"


# --- a seeded demo, looked at ---------------------------------------------------------------

SEEDED = 40  # enough survivors for every case status and consent state


class TestTheSeededDemo:
    """These tests look at one demo seeded once for the class (per worker), not each their own:
    seeding is the slow part, and each test runs in its own savepoint on top of the seed."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _seeded(cls, django_db_setup, django_db_blocker):
        with rolled_back_afterwards(django_db_blocker):
            seed.seed_demo(survivors_wanted=SEEDED, progress=False)
            yield

    def test_every_demo_account_logs_in_with_the_printed_password(self):
        for account in seed.ACCOUNTS:
            assert authenticate(username=account.username, password=seed.DEMO_PASSWORD) is not None

    def test_seeded_survivors_are_readable_through_the_services_and_encrypted_at_rest(self):
        plan = seed.synthetic_survivors(SEEDED)
        caseworker = _user("casemanager")

        caseload = services.list_caseload(by=caseworker)
        assert caseload, "the first case manager has a caseload"
        survivor = services.get_survivor(caseload[0].pk, by=caseworker)
        profile = services.read_profile(survivor)

        assert profile["legal_name"] in {p.profile["legal_name"] for p in plan}
        raw = Survivor.objects.filter(pk=survivor.pk).values_list("legal_name", flat=True).get()
        assert profile["legal_name"].encode() not in bytes(raw)

    def test_seeded_cases_and_consents_follow_the_plan(self):
        plan = seed.synthetic_survivors(SEEDED)
        admin = _user("admin")
        survivors = _all_survivors()

        statuses = Counter(
            case.status for s in survivors for case in services.list_cases(s, by=admin)
        )
        states = Counter(
            services.consent_state(c)
            for s in survivors
            for c in services.list_consents(s, by=admin)
        )

        assert statuses == Counter(p.status for p in plan)
        assert states == Counter(state for p in plan for _, state in p.consents)
        assert {"active", "expired", "revoked"} <= set(states)

    def test_expired_and_revoked_demo_consents_do_not_allow_sharing(self):
        admin = _user("admin")

        for survivor in _all_survivors():
            for consent in services.list_consents(survivor, by=admin):
                allowed = services.allows(
                    survivor, consent.recipient, consent.categories, consent.purpose
                )
                assert allowed == (services.consent_state(consent) == "active")

    def test_demo_survivor_account_sees_exactly_one_record(self):
        assert services.count_caseload(by=_user("survivor"), mine_only=False) == 1

    def test_partner_staff_see_no_seeded_record(self):
        assert services.count_caseload(by=_user("legalaid"), mine_only=False) == 0

    def test_demo_network_has_a_directory_and_referrals_in_the_partner_inbox(self):
        from reclaim.directory.models import Service
        from reclaim.referrals import services as referrals

        assert Service.objects.count() >= 20
        inbox = referrals.list_referrals(by=User.objects.get(username="legalaid"), box="received")
        assert inbox
