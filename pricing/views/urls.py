from django.urls import path

from pricing.views import changes, compare, health, home, index, model, provider, search, site

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("robots.txt", site.robots_txt, name="robots"),
    path("favicon.ico", site.favicon, name="favicon"),
    path("", home.home, name="home"),
    path("models/", index.models, name="models"),
    path("models/<str:author>/<str:name>/", model.model_page, name="model"),
    path("models/<str:author>/<str:name>/series.json", model.model_series, name="model-series"),
    path("compare/", compare.compare, name="compare"),
    path("providers/", index.providers, name="providers"),
    path("providers/<str:slug>/", provider.provider_page, name="provider"),
    path("changes/", changes.changes, name="changes"),
    path("search/", search.search, name="search"),
]
