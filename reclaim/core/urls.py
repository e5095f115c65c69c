from django.urls import path

from . import views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/tokens/", views.access_tokens, name="access_tokens"),
    path("account/tokens/<uuid:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("account/logout-everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("audit/", views.organisation_audit, name="organisation_audit"),
]
