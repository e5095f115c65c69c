"""Account endpoints: /me, personal access tokens, logging out everywhere, the audit trail."""

from __future__ import annotations

import datetime

from django.utils import timezone

from reclaim.core.models import AccessToken, AuditEvent
from tests.api.conftest import enable_mfa


def test_me_lists_the_callers_memberships(call, bearer, caseworker, home_org):
    response = call("get", "/api/v1/me", headers=bearer(caseworker, can_write=False))
    assert response.status_code == 200
    assert response.json() == {
        "id": str(caseworker.pk),
        "username": "caseworker",
        "memberships": [
            {
                "organisation_id": str(home_org.pk),
                "organisation_name": "Harbor House",
                "role": "case_manager",
            }
        ],
    }


def test_staff_with_mfa_creates_a_token_from_the_browser_and_sees_the_secret_once(
    client, call, caseworker, survivor
):
    enable_mfa(caseworker)
    client.force_login(caseworker)
    expires_at = (timezone.now() + datetime.timedelta(days=7)).isoformat()
    created = call(
        "post", "/api/v1/tokens", {"name": "case sync", "can_write": True, "expires_at": expires_at}
    )
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret.startswith("rcl_")
    token = AccessToken.objects.get()
    assert token.can_write is True
    assert secret not in (token.digest, token.prefix)
    listed = call("get", "/api/v1/tokens").json()
    assert [row["name"] for row in listed] == ["case sync"]
    assert "secret" not in listed[0]
    client.logout()
    response = call(
        "get",
        f"/api/v1/survivors/{survivor.pk}",
        headers={"HTTP_AUTHORIZATION": f"Bearer {secret}"},
    )
    assert response.status_code == 200


def test_a_token_cannot_mint_another_token(call, bearer, caseworker):
    response = call("post", "/api/v1/tokens", {"name": "second"}, bearer(caseworker))
    assert response.status_code == 401
    assert AccessToken.objects.count() == 1


def test_token_expiry_must_be_aware_and_within_a_year(client, call, caseworker):
    enable_mfa(caseworker)
    client.force_login(caseworker)
    naive = call("post", "/api/v1/tokens", {"name": "x", "expires_at": "2030-01-01T00:00:00"})
    assert naive.status_code == 422
    assert naive.json()["detail"].startswith("expires_at:")
    too_long = (timezone.now() + datetime.timedelta(days=400)).isoformat()
    capped = call("post", "/api/v1/tokens", {"name": "x", "expires_at": too_long})
    assert capped.status_code == 422
    assert capped.json()["detail"].startswith("expires_at:")
    assert not AccessToken.objects.exists()


def test_revoking_a_token_stops_it(call, bearer, caseworker):
    first = bearer(caseworker)
    second = bearer(caseworker)
    token_id = AccessToken.objects.order_by("created_at").first().pk
    response = call("delete", f"/api/v1/tokens/{token_id}", headers=second)
    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert call("get", "/api/v1/me", headers=first).status_code == 401
    assert call("get", "/api/v1/me", headers=second).status_code == 200


def test_someone_elses_token_cannot_be_revoked(call, bearer, caseworker, supervisor):
    bearer(caseworker)
    token = AccessToken.objects.get(user=caseworker)
    response = call("delete", f"/api/v1/tokens/{token.pk}", headers=bearer(supervisor))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_log_out_everywhere_revokes_every_token(call, bearer, caseworker):
    headers = bearer(caseworker)
    other = bearer(caseworker)
    response = call("post", "/api/v1/sessions/logout-everywhere", headers=headers)
    assert response.status_code == 200
    assert call("get", "/api/v1/me", headers=other).status_code == 401
    caseworker.refresh_from_db()
    assert caseworker.session_generation == 1


def test_supervisor_reads_the_organisation_audit_trail_without_values(
    call, bearer, supervisor, survivor
):
    response = call("get", "/api/v1/audit?limit=5", headers=bearer(supervisor))
    assert response.status_code == 200
    events = response.json()
    assert len(events) <= 5
    assert events == sorted(events, key=lambda e: -e["seq"])
    assert "survivor.create" in {
        e["action"] for e in call("get", "/api/v1/audit", headers=bearer(supervisor)).json()
    }
    assert "Marisol" not in response.content.decode()
    assert AuditEvent.objects.filter(action="audit.view", actor_id=supervisor.pk).exists()


def test_organisation_audit_pages_back_with_before_seq(call, bearer, supervisor, survivor):
    headers = bearer(supervisor)
    first = call("get", "/api/v1/audit?limit=1", headers=headers).json()
    older = call(
        "get", f"/api/v1/audit?limit=5&before_seq={first[-1]['seq']}", headers=headers
    ).json()
    assert older
    assert max(e["seq"] for e in older) < first[-1]["seq"]


def test_case_manager_may_not_read_the_organisation_audit_trail(call, bearer, caseworker):
    response = call("get", "/api/v1/audit", headers=bearer(caseworker))
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
