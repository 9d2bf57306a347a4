"""Admin editing of benchmarks and scores (a person can fix a score, its evaluator or citation)."""

from __future__ import annotations

from django.contrib import admin
from django.db import models

from pricing.cache import bump_generation
from pricing.quality.models import Benchmark, Score


class BumpsGeneration(admin.ModelAdmin):
    """An edit made here shows at once on pages and in the API (their cached bodies go stale)."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        bump_generation()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        bump_generation()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        bump_generation()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        bump_generation()


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0
    fields = ("model", "value", "evaluator", "self_reported", "evaluated_on", "citation", "source")
    autocomplete_fields = ("model",)
    show_change_link = True


@admin.register(Benchmark)
class BenchmarkAdmin(BumpsGeneration):
    list_display = ("slug", "name", "metric", "category", "higher_is_better")
    list_filter = ("category", "higher_is_better")
    search_fields = ("slug", "name", "metric")
    inlines = [ScoreInline]


@admin.register(Score)
class ScoreAdmin(BumpsGeneration):
    list_display = ("benchmark", "model", "value", "evaluator", "self_reported", "evaluated_on", "source", "last_seen")
    list_filter = ("self_reported", "source", "evaluator", "benchmark__category")
    search_fields = ("model__slug", "benchmark__name", "evaluator", "citation")
    autocomplete_fields = ("model", "benchmark")
    readonly_fields = ("run", "first_seen", "last_seen")
    list_select_related = ("benchmark", "model", "source")
