"""The referrals API: both sides of the flow, denials without leaks, clear 4xx."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reclaim.core.models import AuditEvent
from reclaim.referrals import services
from reclaim.referrals.models import Referral
from reclaim.survivors import services as survivors

from .conftest import give_consent

BASE = "/api/v1/referrals"


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_the_caseworker_prepares_and_sends_in_one_call(
    as_user, caseworker, survivor, partner_org, consent
):
    response = as_user(caseworker).post(
        f"{BASE}/",
        {
            "survivor_id": str(survivor.pk),
            "recipient_id": str(partner_org.pk),
            "categories": ["identity", "contact"],
            "send": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "requested"
    assert body["consent_allows"] is True
    assert [step["to_status"] for step in body["history"]] == ["draft", "requested"]


def test_sending_without_consent_answers_403_and_keeps_the_draft(
    as_user, caseworker, survivor, partner_org
):
    response = as_user(caseworker).post(
        f"{BASE}/",
        {
            "survivor_id": str(survivor.pk),
            "recipient_id": str(partner_org.pk),
            "categories": ["identity"],
            "send": True,
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "consent_required"
    assert Referral.objects.get().status == "draft"


def test_an_unknown_category_names_the_field(as_user, caseworker, survivor, partner_org):
    response = as_user(caseworker).post(
        f"{BASE}/",
        {"survivor_id": str(survivor.pk), "recipient_id": str(partner_org.pk), "categories": ["x"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("categories")
    assert not Referral.objects.exists()


def test_the_partner_reads_the_packet_in_the_consented_categories(as_user, partner_staff, sent):
    response = as_user(partner_staff).get(f"{BASE}/{sent.pk}/packet")
    assert response.status_code == 200
    body = response.json()
    assert body["categories"] == ["contact", "identity"]
    assert {row["category"] for row in body["profile"]} == {"identity", "contact"}
    assert {row["name"]: row["value"] for row in body["profile"]}["alias"] == "Marisol"


def test_the_partner_does_not_learn_the_survivor_id(as_user, partner_staff, sent):
    body = as_user(partner_staff).get(f"{BASE}/{sent.pk}").json()
    assert body["survivor_id"] is None
    assert body["sides"] == ["recipient"]


def test_after_revocation_the_packet_answers_403_without_data_and_is_audited(
    as_user, partner_staff, sent, consent, caseworker
):
    survivors.revoke_consent(consent, by=caseworker)
    denials = AuditEvent.objects.filter(action="access.denied").count()
    response = as_user(partner_staff).get(f"{BASE}/{sent.pk}/packet")
    assert response.status_code == 403
    assert response.json()["code"] == "consent_required"
    assert b"Marisol" not in response.content and b"555" not in response.content
    assert AuditEvent.objects.filter(action="access.denied").count() == denials + 1


def test_the_partner_accepts_then_completes(as_user, partner_staff, sent):
    client = as_user(partner_staff)
    for status in ("accepted", "completed"):
        response = client.post(
            f"{BASE}/{sent.pk}/status", {"status": status}, content_type="application/json"
        )
        assert response.status_code == 200, response.content
    assert Referral.objects.get().status == "completed"


def test_a_step_out_of_order_answers_409(as_user, partner_staff, sent):
    response = as_user(partner_staff).post(
        f"{BASE}/{sent.pk}/status", {"status": "completed"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "transition_not_allowed"
    assert Referral.objects.get().status == "requested"


def test_declining_without_a_reason_names_the_field(as_user, partner_staff, sent):
    response = as_user(partner_staff).post(
        f"{BASE}/{sent.pk}/status", {"status": "rejected"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == "reason"


def test_another_caseworker_gets_404_and_nothing_changes(as_user, other_caseworker, sent):
    client = as_user(other_caseworker)
    assert client.get(f"{BASE}/{sent.pk}").status_code == 404
    response = client.post(
        f"{BASE}/{sent.pk}/cancel", {"reason": "other"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert Referral.objects.get().status == "requested"


def test_the_sender_sees_each_step_in_the_list(as_user, caseworker, partner_staff, sent):
    as_user(partner_staff).post(
        f"{BASE}/{sent.pk}/status", {"status": "received"}, content_type="application/json"
    )
    body = as_user(caseworker).get(f"{BASE}/?box=sent").json()
    assert [item["status"] for item in body["items"]] == ["received"]


def test_notifications_list_and_mark_read(as_user, partner_staff, sent):
    client = as_user(partner_staff)
    body = client.get(f"{BASE}/notifications").json()
    assert body["unread"] == 1
    assert body["items"][0]["referral_id"] == str(sent.pk)
    assert client.post(f"{BASE}/notifications/read").json() == {"marked": 1}
    assert client.get(f"{BASE}/notifications").json()["unread"] == 0


def test_the_list_says_from_which_side_each_referral_is_seen(
    as_user, caseworker, partner_staff, sent
):
    assert as_user(caseworker).get(f"{BASE}/").json()["items"][0]["sides"] == ["sender"]
    items = as_user(partner_staff).get(f"{BASE}/").json()["items"]
    assert [(item["id"], item["sides"], item["survivor_id"]) for item in items] == [
        (str(sent.pk), ["recipient"], None)
    ]


def test_the_inbox_says_for_each_row_whether_consent_allows_from_one_consent_query(
    as_user, caseworker, partner_staff, survivor, partner_org, sent
):
    health = give_consent(survivor, by=caseworker, recipient=partner_org, categories=["health"])
    needs_health = services.send_referral(
        services.prepare_referral(
            survivor, by=caseworker, recipient=partner_org, categories=["health"]
        ),
        by=caseworker,
    )
    survivors.revoke_consent(health, by=caseworker)
    client = as_user(partner_staff)
    with CaptureQueriesContext(connection) as queries:
        items = client.get(f"{BASE}/?box=received").json()["items"]
    assert {item["id"]: item["consent_allows"] for item in items} == {
        str(sent.pk): True,
        str(needs_health.pk): False,
    }
    consent_reads = [q for q in queries.captured_queries if "survivors_consent" in q["sql"]]
    assert len(consent_reads) == 1


def test_a_survivors_referrals_are_listed_for_the_sender(as_user, caseworker, survivor, sent):
    body = as_user(caseworker).get(f"{BASE}/?survivor_id={survivor.pk}").json()
    assert [item["id"] for item in body["items"]] == [str(sent.pk)]


def test_a_survivors_referrals_are_404_for_the_partner(as_user, partner_staff, survivor, sent):
    assert as_user(partner_staff).get(f"{BASE}/?survivor_id={survivor.pk}").status_code == 404


def test_the_list_comes_in_pages_newest_first(as_user, caseworker, survivor, partner_org, consent):
    made = [
        services.send_referral(
            services.prepare_referral(
                survivor, by=caseworker, recipient=partner_org, categories=["identity"]
            ),
            by=caseworker,
        )
        for _ in range(3)
    ]
    newest_first = [str(r.pk) for r in sorted(made, key=lambda r: (r.created_at, r.pk))][::-1]
    client = as_user(caseworker)

    first = client.get(f"{BASE}/?box=sent&limit=2").json()
    rest = client.get(f"{BASE}/?box=sent&limit=2&offset=2").json()

    assert [item["id"] for item in first["items"]] == newest_first[:2]
    assert (first["limit"], first["offset"], first["has_more"]) == (2, 0, True)
    assert [item["id"] for item in rest["items"]] == newest_first[2:]
    assert rest["has_more"] is False
    assert client.get(f"{BASE}/?box=sent").json()["limit"] == 50


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "offset=-1", "limit=many"])
def test_a_bad_page_answers_422_naming_the_parameter(as_user, caseworker, query):
    response = as_user(caseworker).get(f"{BASE}/?{query}")

    assert response.status_code == 422
    assert query.split("=")[0] in response.json()["detail"]
