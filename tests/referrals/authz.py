"""The referrals app's rows of the authorisation matrix (tests/test_authorization_matrix.py).

The matrix referral is sent by the caseworker to the partner organisation, with the world's
consent (identity, for referral). Its sender side is the caseworker and the home
organisation's supervisor and admin; its recipient side is partner staff and the partner's
supervisor (the "outsider" persona). The other caseworker sees neither side: 404.
"""

from __future__ import annotations

from typing import Any

from tests.authz_common import FORBIDDEN, NOT_FOUND, OK, expect

POLICY = {
    # Inbox, notifications: any signed-in staff member (each sees only their own rows).
    "referral_staff": expect(OK),
    # The "Refer" page: anyone who may send referrals somewhere.
    "referral_new": expect(OK, partner_staff=FORBIDDEN),
    # Reading one referral, its packet, its FHIR export: both sides.
    "referral_read": expect(OK, other_caseworker=NOT_FOUND),
    # Sender-side steps (send, cancel, record consent): the recipient sees it but may not act.
    "referral_sender": expect(
        OK, other_caseworker=NOT_FOUND, outsider=FORBIDDEN, partner_staff=FORBIDDEN
    ),
    # Recipient-side steps (answer, FHIR Task update): the sender sees it but may not act.
    "referral_recipient": expect(
        OK,
        caseworker=FORBIDDEN,
        supervisor=FORBIDDEN,
        org_admin=FORBIDDEN,
        other_caseworker=NOT_FOUND,
    ),
    # One survivor's referrals, or a new referral for them: the record's scope.
    "referral_record": expect(
        OK, other_caseworker=NOT_FOUND, outsider=NOT_FOUND, partner_staff=NOT_FOUND
    ),
}

MATRIX = {
    ("GET", "referrals/new/"): "referral_new",
    ("GET", "referrals/inbox/"): "referral_staff",
    ("GET", "referrals/notifications/"): "referral_staff",
    ("POST", "referrals/notifications/read/"): "referral_staff",
    ("GET", "referrals/survivor/<uuid:survivor_id>/"): "referral_record",
    ("GET", "referrals/<uuid:referral_id>/"): "referral_read",
    ("POST", "referrals/<uuid:referral_id>/send/"): "referral_sender",
    ("POST", "referrals/<uuid:referral_id>/cancel/"): "referral_sender",
    ("POST", "referrals/<uuid:referral_id>/consent/"): "referral_sender",
    ("POST", "referrals/<uuid:referral_id>/respond/"): "referral_recipient",
    ("GET", "/api/v1/referrals/"): "referral_staff",
    ("POST", "/api/v1/referrals/"): "referral_record",
    ("GET", "/api/v1/referrals/notifications"): "referral_staff",
    ("POST", "/api/v1/referrals/notifications/read"): "referral_staff",
    ("GET", "/api/v1/referrals/{referral_id}"): "referral_read",
    ("GET", "/api/v1/referrals/{referral_id}/packet"): "referral_read",
    ("GET", "/api/v1/referrals/{referral_id}/fhir"): "referral_read",
    ("POST", "/api/v1/referrals/{referral_id}/send"): "referral_sender",
    ("POST", "/api/v1/referrals/{referral_id}/cancel"): "referral_sender",
    ("POST", "/api/v1/referrals/{referral_id}/status"): "referral_recipient",
    ("POST", "/api/v1/referrals/{referral_id}/fhir/task"): "referral_recipient",
}

BODIES = {
    ("POST", "/api/v1/referrals/"): {
        "survivor_id": "{survivor_id}",
        "recipient_id": "{partner_org_id}",
        "categories": ["identity"],
    },
    ("POST", "/api/v1/referrals/{referral_id}/cancel"): {"reason": "survivor_withdrew"},
    ("POST", "/api/v1/referrals/{referral_id}/status"): {"status": "received"},
    ("POST", "/api/v1/referrals/{referral_id}/fhir/task"): {
        "resourceType": "Task",
        "status": "received",
        "intent": "order",
    },
}


def make_ids(people: dict[str, Any], ids: dict[str, Any]) -> dict[str, Any]:
    """A referral sent under the world's consent (identity, referral, to the partner)."""
    from reclaim.referrals import services

    referral = services.prepare_referral(
        people["survivor"],
        by=people["caseworker"],
        recipient=people["partner_org"],
        categories=["identity"],
    )
    services.send_referral(referral, by=people["caseworker"])
    return {"referral_id": referral.pk}
