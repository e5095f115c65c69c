from django.urls import path

from . import views

urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("survivors/search/", views.search, name="survivor_search"),
    path("survivors/break-glass/", views.break_glass, name="break_glass"),
    path("survivors/new/", views.new_survivor, name="survivor_new"),
    path("survivors/<uuid:survivor_id>/", views.survivor_record, name="survivor_record"),
    path("survivors/<uuid:survivor_id>/edit/", views.edit_profile, name="survivor_edit"),
    path("survivors/<uuid:survivor_id>/erase/", views.erase, name="survivor_erase"),
    path(
        "survivors/<uuid:survivor_id>/contact/",
        views.set_contact_preference,
        name="survivor_contact_preference",
    ),
    path(
        "survivors/<uuid:survivor_id>/cases/<uuid:case_id>/",
        views.update_case,
        name="survivor_case_update",
    ),
    path(
        "survivors/<uuid:survivor_id>/consents/", views.record_consent, name="survivor_consent_new"
    ),
    path(
        "survivors/<uuid:survivor_id>/consents/<uuid:consent_id>/revoke/",
        views.revoke_consent,
        name="survivor_consent_revoke",
    ),
    path("supervision/break-glass/", views.break_glass_queue, name="break_glass_queue"),
    path(
        "supervision/break-glass/<uuid:grant_id>/review/",
        views.review_break_glass,
        name="break_glass_review",
    ),
]
