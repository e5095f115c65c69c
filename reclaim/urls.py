from django.urls import include, path

from reclaim.api import api
from reclaim.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("", include("reclaim.core.urls")),
    path("", include("reclaim.survivors.urls")),
    path("", include("reclaim.care.urls")),
    path("", include("reclaim.directory.urls")),
    path("", include("reclaim.referrals.urls")),
]

handler400 = "reclaim.core.views.bad_request"
handler403 = "reclaim.core.views.permission_denied"
handler404 = "reclaim.core.views.page_not_found"
handler500 = "reclaim.core.views.server_error"
