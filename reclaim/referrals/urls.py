from django.urls import path

from . import views

urlpatterns = [
    path("referrals/new/", views.new_referral, name="referral_new"),
    path("referrals/inbox/", views.inbox, name="referral_inbox"),
    path("referrals/notifications/", views.notification_list, name="referral_notifications"),
    path("referrals/notifications/read/", views.mark_read, name="referral_notifications_read"),
    path(
        "referrals/survivor/<uuid:survivor_id>/",
        views.survivor_referrals,
        name="survivor_referrals",
    ),
    path("referrals/<uuid:referral_id>/", views.referral_detail, name="referral_detail"),
    path("referrals/<uuid:referral_id>/send/", views.send, name="referral_send"),
    path("referrals/<uuid:referral_id>/cancel/", views.cancel, name="referral_cancel"),
    path("referrals/<uuid:referral_id>/respond/", views.respond, name="referral_respond"),
    path(
        "referrals/<uuid:referral_id>/consent/",
        views.record_consent,
        name="referral_consent",
    ),
]
