"""FHIR R4 export (ServiceRequest + Task + Consent, validated with fhir.resources R4B) and the
import of Task status updates from a partner system that is not Reclaim."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from reclaim.core.errors import ConsentRequired
from reclaim.core.models import AuditEvent
from reclaim.referrals import fhir, lifecycle
from reclaim.referrals.models import Referral, ReferralEvent
from reclaim.survivors import services as survivors

FHIR_TASK_STATUSES = (
    "draft",
    "requested",
    "received",
    "accepted",
    "rejected",
    "ready",
    "cancelled",
    "in-progress",
    "on-hold",
    "failed",
    "completed",
    "entered-in-error",
)


def _resources(bundle: dict) -> dict[str, dict]:
    return {entry["resource"]["resourceType"]: entry["resource"] for entry in bundle["entry"]}


def test_the_export_is_a_valid_r4_bundle_of_request_task_and_consent(sent, partner_staff, consent):
    bundle = fhir.export_referral(sent, by=partner_staff)
    Bundle.model_validate(bundle)  # raises if not valid R4
    resources = _resources(bundle)
    assert set(resources) == {"ServiceRequest", "Task", "Consent"}
    assert resources["Task"]["status"] == "requested"
    assert resources["ServiceRequest"]["status"] == "active"
    assert resources["Consent"]["id"] == str(consent.pk)
    codes = [c["coding"][0]["code"] for c in resources["Consent"]["provision"]["code"]]
    assert codes == ["contact", "identity"]


def test_the_export_carries_no_personal_data_and_no_record_id(sent, partner_staff, survivor):
    text = json.dumps(fhir.export_referral(sent, by=partner_staff))
    for value in ("Marisol", "Quintero", "555 0100", "1994-03-14", str(survivor.pk)):
        assert value not in text


def test_the_export_is_audited(sent, partner_staff):
    fhir.export_referral(sent, by=partner_staff)
    event = AuditEvent.objects.get(action="referral.export.fhir")
    assert event.context == {"categories": ["contact", "identity"], "side": "recipient"}


def test_a_declined_referral_exports_its_reason(sent, partner_staff, caseworker):
    from reclaim.referrals import services

    services.respond_to_referral(sent, by=partner_staff, status="rejected", reason="no_capacity")
    bundle = fhir.export_referral(sent, by=caseworker)
    task = _resources(bundle)["Task"]
    assert task["status"] == "rejected"
    assert task["statusReason"]["coding"][0]["code"] == "no_capacity"
    assert _resources(bundle)["ServiceRequest"]["status"] == "revoked"


def test_the_partner_cannot_export_after_revocation(sent, partner_staff, consent, caseworker):
    survivors.revoke_consent(consent, by=caseworker)
    with pytest.raises(ConsentRequired):
        fhir.export_referral(sent, by=partner_staff)


def test_every_referral_status_maps_to_a_service_request_status():
    assert set(fhir.SERVICE_REQUEST_STATUS) == set(lifecycle.ReferralStatus)


# --- import over the API with a partner's token ----------------------------------------------


@pytest.fixture
def post_task(client, bearer):
    def send(referral, user, task, *, can_write=True):
        return client.post(
            f"/api/v1/referrals/{referral.pk}/fhir/task",
            data=json.dumps(task),
            content_type="application/json",
            **bearer(user, can_write=can_write),
        )

    return send


@pytest.fixture
def bearer():
    from reclaim.core.services import create_access_token

    def issue(user, *, can_write=True):
        issued = create_access_token(by=user, name="partner system", can_write=can_write)
        return {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}

    return issue


def _task(status, **extra):
    return {"resourceType": "Task", "status": status, "intent": "order", **extra}


def test_a_partner_system_marks_the_referral_received(post_task, sent, partner_staff):
    response = post_task(sent, partner_staff, _task("received"))
    assert response.status_code == 200, response.content
    assert Referral.objects.get().status == "received"
    assert ReferralEvent.objects.get(to_status="received").via == "fhir"


def test_a_decline_takes_its_reason_from_status_reason(post_task, sent, partner_staff):
    task = _task(
        "rejected",
        statusReason={"coding": [{"system": fhir.REASON_SYSTEM, "code": "not_eligible"}]},
    )
    assert post_task(sent, partner_staff, task).status_code == 200
    assert ReferralEvent.objects.get(to_status="rejected").reason == "not_eligible"


def test_a_decline_without_a_reason_is_refused(post_task, sent, partner_staff):
    response = post_task(sent, partner_staff, _task("rejected"))
    assert response.status_code == 422
    assert response.json()["field"] == "reason"
    assert Referral.objects.get().status == "requested"


def test_an_invalid_task_names_the_field(post_task, sent, partner_staff):
    response = post_task(sent, partner_staff, {"resourceType": "Task", "intent": "order"})
    assert response.status_code == 422
    assert response.json()["field"] == "status"
    assert Referral.objects.get().status == "requested"


def test_another_resource_type_is_refused(post_task, sent, partner_staff):
    response = post_task(sent, partner_staff, {"resourceType": "Patient"})
    assert response.status_code == 422
    assert response.json()["field"] == "resourceType"


def test_a_task_about_another_referral_is_refused(post_task, sent, partner_staff):
    task = _task("received", focus={"reference": "ServiceRequest/someone-else"})
    assert post_task(sent, partner_staff, task).status_code == 422
    assert Referral.objects.get().status == "requested"


def test_a_task_naming_our_referral_and_its_recipient_is_applied(post_task, sent, partner_staff):
    # The references as our own export writes them.
    update = _task(
        "received",
        focus={"reference": fhir._urn(sent.pk)},
        owner=fhir._organisation(sent.recipient),
    )
    assert post_task(sent, partner_staff, update).status_code == 200, update
    assert Referral.objects.get().status == "received"


def test_a_task_owned_by_another_organisation_is_refused(post_task, sent, partner_staff):
    task = _task("received", owner={"reference": f"Organization/{sent.organisation_id}"})
    response = post_task(sent, partner_staff, task)
    assert response.status_code == 422
    assert response.json()["field"] == "owner"
    assert Referral.objects.get().status == "requested"


def test_the_same_status_again_changes_nothing(post_task, sent, partner_staff):
    events = ReferralEvent.objects.count()
    assert post_task(sent, partner_staff, _task("requested")).status_code == 200
    assert ReferralEvent.objects.count() == events


def test_the_senders_token_may_not_update_the_task(post_task, sent, caseworker):
    assert post_task(sent, caseworker, _task("received")).status_code == 403
    assert Referral.objects.get().status == "requested"


def test_a_read_only_token_may_not_update_the_task(post_task, sent, partner_staff):
    response = post_task(sent, partner_staff, _task("received"), can_write=False)
    assert response.status_code == 403
    assert Referral.objects.get().status == "requested"


@pytest.mark.parametrize("status", FHIR_TASK_STATUSES)
def test_each_task_status_is_applied_exactly_when_our_table_allows_it(
    post_task, sent, partner_staff, status
):
    response = post_task(sent, partner_staff, _task(status, statusReason={"text": "Full"}))
    allowed = lifecycle.side_for("requested", status) == lifecycle.RECIPIENT
    if status == "requested":
        expected = 200  # unchanged: nothing to do
    elif status in fhir.UNSUPPORTED_TASK_STATUSES:
        expected = 422
    else:
        expected = 200 if allowed else 409
    assert response.status_code == expected, response.content
    assert Referral.objects.get().status == (status if allowed else "requested")


def test_a_draft_without_consent_exports_without_a_consent_resource(draft, caseworker):
    bundle = fhir.export_referral(draft, by=caseworker)
    Bundle.model_validate(bundle)
    resources = _resources(bundle)
    assert set(resources) == {"ServiceRequest", "Task"}
    assert resources["Task"]["status"] == "draft"
    assert resources["ServiceRequest"]["status"] == "draft"


def test_shared_needs_scored_1_or_2_become_reason_codes(
    survivor, caseworker, partner_org, partner_staff
):
    from reclaim.care import services as care
    from reclaim.referrals import services

    from .conftest import give_consent

    care.record_assessment(survivor, by=caseworker, scores={"housing": 1, "income": 4})
    give_consent(
        survivor, by=caseworker, recipient=partner_org, categories=["location", "financial"]
    )
    referral = services.prepare_referral(
        survivor, by=caseworker, recipient=partner_org, categories=["location", "financial"]
    )
    services.send_referral(referral, by=caseworker)
    bundle = fhir.export_referral(referral, by=partner_staff)
    reasons = _resources(bundle)["ServiceRequest"]["reasonCode"]
    assert reasons == [{"text": "Housing"}]
