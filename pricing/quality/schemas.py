"""Response shapes for scores. A score is a decimal string, like money: never a float."""

from __future__ import annotations

from datetime import date

from ninja import Schema
from pydantic import Field

SCORE_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
PER_DOLLAR = ("points per dollar of the blended reference price per million tokens, as a decimal string "
              "(null when there is no paid price, or lower is better on the benchmark)")


class BenchmarkOut(Schema):
    slug: str = Field(description="benchmark slug: one benchmark as measured by one metric")
    name: str = Field(description="benchmark name, e.g. MMLU")
    metric: str = Field(description="metric as printed, e.g. Pass@1, Percentile, Rating")
    category: str = Field(description="e.g. English, Code, Math ('' when unknown)")
    higher_is_better: bool = Field(description="whether a higher score is better")
    n_models: int = Field(description="models with a score on it")
    n_scores: int = Field(description="scores on it (one per model and evaluator)")


class BenchmarksOut(Schema):
    count: int = Field(description="number of benchmarks")
    items: list[BenchmarkOut]


class ScoreOut(Schema):
    benchmark: str = Field(description="benchmark slug")
    benchmark_name: str = Field(description="benchmark name")
    metric: str = Field(description="metric as printed")
    higher_is_better: bool = Field(description="whether a higher score is better")
    score: str = Field(description="the score as a decimal string", pattern=SCORE_PATTERN)
    evaluator: str = Field(description="who ran the evaluation")
    self_reported: bool = Field(description="true when the evaluator is the model's own maker; false for third-party")
    settings: str = Field(description="how it was run ('' when not stated)")
    evaluated_on: date | None = Field(description="when the evaluation was published or run")
    citation: str = Field(description="http(s) URL of where the score is written")
    source: str = Field(description="slug of the scores source it was loaded from")


class ScoresOut(Schema):
    model: str = Field(description="canonical model slug")
    count: int = Field(description="number of scores")
    items: list[ScoreOut]


class CellOut(Schema):
    model: str = Field(description="model slug")
    score: str | None = Field(description="the model's score, null when it was not run on this benchmark",
                              pattern=SCORE_PATTERN)
    evaluator: str | None = Field(description="who ran it (null when no score)")
    self_reported: bool | None = Field(description="true when run by the model's maker (null when no score)")
    citation: str | None = Field(description="where the score is written (null when no score)")
    score_per_dollar: str | None = Field(None, description=PER_DOLLAR, pattern=r"^[0-9]+(\.[0-9]+)?$")


class LineOut(Schema):
    benchmark: str = Field(description="benchmark slug")
    name: str = Field(description="benchmark name and metric")
    higher_is_better: bool = Field(description="whether a higher score is better")
    scores: list[CellOut] = Field(description="one per requested model, in request order")
    best: list[str] = Field(description="slugs of the best-scoring models (several on a tie; empty when fewer than "
                                        "two of the models were run on it)")


class QualityPairOut(Schema):
    a: str = Field(description="model slug")
    b: str = Field(description="model slug")
    shared: int = Field(description="benchmarks both were run on")
    a_better: int = Field(description="of those, how many a scores better on (respecting higher-is-better)")
    b_better: int = Field(description="of those, how many b scores better on")
    ties: int = Field(description="of those, how many they score the same on")
    summary: str = Field(description="the same in a sentence, with the blended price ratio")


class BestCountOut(Schema):
    on: str | None = Field(description="null: every benchmark two or more of the models were run on; "
                                       "a slug: only the benchmarks that model was run on")
    benchmarks: int = Field(description="how many benchmarks that is")
    best: dict[str, int] = Field(description="model slug -> benchmarks on which it alone has the best score")
    ties: int = Field(description="benchmarks where two or more share the best score")


class CompareQualityOut(Schema):
    benchmarks: list[LineOut] = Field(description="every benchmark at least one of the models was run on")
    pairs: list[QualityPairOut] = Field(description="every pair (a before b in the request)")
    best_counts: list[BestCountOut] = Field(description="who is best how often, over all and per model's set")


class ModelScoreOut(Schema):
    benchmark: str = Field(description="benchmark slug asked for with benchmark=")
    score: str = Field(description="the model's score on it, as a decimal string", pattern=SCORE_PATTERN)
    evaluator: str = Field(description="who ran it")
    self_reported: bool = Field(description="true when run by the model's maker")
    citation: str = Field(description="where the score is written")
    score_per_dollar: str | None = Field(description=PER_DOLLAR + "; the price is the item's cheapest offer at the mix",
                                         pattern=r"^[0-9]+(\.[0-9]+)?$")
