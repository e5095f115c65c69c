from django.urls import path

from . import views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/tokens/", views.access_tokens, name="access_tokens"),
    path("account/tokens/<uuid:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("account/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("audit/", views.organisation_audit, name="organisation_audit"),
]

# --- people administration (organisation admins) ---
from . import people_views  # noqa: E402

urlpatterns += [
    path("organisation/people/", people_views.people_list, name="people"),
    path(
        "organisation/people/<uuid:membership_id>/",
        people_views.member_detail,
        name="people_member",
    ),
    path(
        "organisation/people/<uuid:membership_id>/deactivate/",
        people_views.deactivate_member,
        name="people_deactivate",
    ),
    path(
        "organisation/people/<uuid:membership_id>/reactivate/",
        people_views.reactivate_member,
        name="people_reactivate",
    ),
    path(
        "organisation/people/<uuid:membership_id>/reset-password/",
        people_views.reset_password,
        name="people_reset_password",
    ),
    path(
        "organisation/people/<uuid:membership_id>/reset-mfa/",
        people_views.reset_mfa,
        name="people_reset_mfa",
    ),
    path("organisation/teams/", people_views.team_list, name="people_teams"),
    path("organisation/teams/<uuid:team_id>/", people_views.team_detail, name="people_team"),
]
