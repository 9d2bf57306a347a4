"""Admin editing of benchmarks and scores (a person can fix a score, its evaluator or citation)."""

from __future__ import annotations

from django.contrib import admin

from pricing.quality.models import Benchmark, Score


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0
    fields = ("model", "value", "evaluator", "self_reported", "evaluated_on", "citation", "source")
    autocomplete_fields = ("model",)
    show_change_link = True


@admin.register(Benchmark)
class BenchmarkAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "metric", "category", "higher_is_better")
    list_filter = ("category", "higher_is_better")
    search_fields = ("slug", "name", "metric")
    inlines = [ScoreInline]


@admin.register(Score)
class ScoreAdmin(admin.ModelAdmin):
    list_display = ("benchmark", "model", "value", "evaluator", "self_reported", "evaluated_on", "source", "last_seen")
    list_filter = ("self_reported", "source", "evaluator", "benchmark__category")
    search_fields = ("model__slug", "benchmark__name", "evaluator", "citation")
    autocomplete_fields = ("model", "benchmark")
    readonly_fields = ("run", "first_seen", "last_seen")
    list_select_related = ("benchmark", "model", "source")
