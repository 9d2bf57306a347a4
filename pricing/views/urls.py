from django.urls import path

from pricing.views import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
]
