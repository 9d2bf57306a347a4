from django.urls import path

from pricing.quality import views

urlpatterns = [
    path("benchmarks/", views.benchmarks_index, name="benchmarks"),
    path("benchmarks/<slug:slug>/", views.benchmark_page, name="benchmark"),
]
