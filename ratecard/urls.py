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
