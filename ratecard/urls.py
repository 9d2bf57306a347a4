from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("pricing.api.urls")),
    path("", include("pricing.feeds_urls")),
    path("", include("pricing.alerts.urls")),
    path("", include("pricing.quality.urls")),
    path("", include("pricing.views.urls")),
]

# Errors that escape views and middleware: the API's JSON shape under /api/, the error page elsewhere.
handler400 = "pricing.errors.bad_request"
handler403 = "pricing.errors.permission_denied"
handler404 = "pricing.errors.page_not_found"
handler500 = "pricing.errors.server_error"
