"""Directory pages (/directory/…) and the public HSDS 3.0 read API (/hsds/…)."""

from django.urls import path

from . import views

urlpatterns = [
    path("directory/", views.directory, name="directory"),
    path("directory/services/new/", views.edit_service, name="directory_service_new"),
    path("directory/services/<uuid:service_id>/", views.service_detail, name="directory_service"),
    path(
        "directory/services/<uuid:service_id>/edit/",
        views.edit_service,
        name="directory_service_edit",
    ),
    path(
        "directory/services/<uuid:service_id>/capacity/",
        views.update_capacity,
        name="directory_capacity",
    ),
    path("directory/import/", views.import_directory, name="directory_import"),
    path("directory/find/<uuid:survivor_id>/", views.find_services, name="directory_find"),
    path("hsds/", views.hsds_root, name="hsds_root"),
    path("hsds/services", views.hsds_services, name="hsds_services"),
    path("hsds/services/<uuid:service_id>", views.hsds_service, name="hsds_service"),
    path("hsds/organizations", views.hsds_organizations, name="hsds_organizations"),
    path(
        "hsds/organizations/<uuid:organization_id>",
        views.hsds_organization,
        name="hsds_organization",
    ),
]
