from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from dealers.views import home


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("cabinet/", include("dealers.cabinet_urls")),
    path("support/claims/", include("claims.urls")),
    path("support/", include("support.urls")),
    path("", include("claims.public_urls")),
    path("admin/", admin.site.urls),
    path("reconcile/", include("gateways.reconcile.urls")),
    path("gateways/", include("gateways.urls")),
    path("api/terminal/v1/", include("terminals.api.urls")),
    path("screens/", include("screens.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler400 = "kit.errors.bad_request"
handler403 = "kit.errors.permission_denied"
handler404 = "kit.errors.page_not_found"
handler500 = "kit.errors.server_error"

if settings.KIT_SIMULATORS:
    urlpatterns.append(path("sim/", include("gateways.simulators.urls")))

if settings.KIT_BENCH:  # `make bench` only: the minimal one-row view it compares against
    urlpatterns.append(path("bench/", include("bench.urls")))
