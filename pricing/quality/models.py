"""Benchmarks and scores. A score is a fact with provenance: who ran it, how, when, where it is
written, and which run of which source brought it in."""

from __future__ import annotations

from django.db import models


class Benchmark(models.Model):
    """One benchmark as measured by one metric: Codeforces "Percentile" and Codeforces "Rating"
    are two benchmarks, since their scores cannot be compared with each other."""

    slug = models.SlugField(max_length=120, unique=True)
    name = models.CharField(max_length=200)
    metric = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=100, blank=True)
    higher_is_better = models.BooleanField(default=True)
    description = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "metric"], name="quality_benchmark_name_metric")]
        ordering = ["category", "name", "metric"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.name} ({self.metric})" if self.metric else self.name


class Score(models.Model):
    """A model's score on a benchmark as one evaluator reported it. One per (benchmark, model,
    evaluator): a re-import of the same evaluation updates it, another evaluator adds a row."""

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="scores")
    model = models.ForeignKey("pricing.Model", on_delete=models.CASCADE, related_name="scores")
    value = models.DecimalField(max_digits=14, decimal_places=4)
    evaluator = models.CharField(max_length=200, help_text="who ran the evaluation, e.g. DeepSeek")
    self_reported = models.BooleanField(help_text="the evaluator is the model's own maker")
    settings = models.TextField(blank=True, help_text="how it was run: samples, temperature, prompt, harness")
    evaluated_on = models.DateField(null=True, blank=True, help_text="when the evaluation was published or run")
    citation = models.URLField(max_length=1000, help_text="where the score is written (http or https)")
    as_printed = models.CharField(max_length=300, blank=True, help_text="the model's name as the source prints it")
    source = models.ForeignKey("pricing.Source", on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey("pricing.CollectionRun", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+", help_text="the run that last wrote this score")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "model", "evaluator"], name="quality_score_unique"),
        ]
        indexes = [models.Index(fields=["model", "benchmark"], name="quality_score_model")]
        ordering = ["benchmark", "model"]

    def __str__(self) -> str:
        return f"{self.model_id} {self.benchmark_id} {self.value} ({self.evaluator})"

    @property
    def provenance(self) -> str:
        return "self-reported" if self.self_reported else "third-party"
