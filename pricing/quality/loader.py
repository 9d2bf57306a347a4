"""Scores in: a CSV file (``manage.py import_scores``) or the bundled snapshot's score table.

Loaded like prices: every load is a run of a "scores" source (``CollectionRun``), the body is kept
as received (``RawPayload``), and loading the same rows again changes nothing. A file is checked
row by row first; if any row is bad (unknown model, a score that is not a number, a row listed
twice, no citation...) nothing is written but the refused run and one reason per bad row.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from pricing.cache import bump_generation
from pricing.collection.payloads import store_payload
from pricing.models import CollectionRun, Model, ModelAlias, QuoteRejection, Source
from pricing.quality.models import Benchmark, Score
from providers.base import Payload

REQUIRED = ("benchmark", "metric", "model", "score", "evaluator", "citation")
OPTIONAL = ("category", "higher_is_better", "settings", "date", "self_reported", "as_printed")
USER_SOURCE = "user-scores"
MAX_ROWS = 20000
MAX_SCORE = Decimal("1e9")
YES = {"yes", "y", "true", "1", "higher"}
NO = {"no", "n", "false", "0", "lower"}
_url = URLValidator(schemes=["http", "https"])


class ScoreFileError(ValueError):
    """The file as a whole cannot be read (not CSV, not UTF-8, a required column missing)."""


@dataclass
class Clean:
    """A row that passed every check, ready to write."""

    line: int
    benchmark: str
    metric: str
    category: str
    higher_is_better: bool | None
    model: Model
    value: Decimal
    evaluator: str
    self_reported: bool
    settings: str
    evaluated_on: date | None
    citation: str
    as_printed: str


@dataclass
class Report:
    run: CollectionRun | None
    problems: list[tuple[int, str]] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    same: int = 0
    skipped: bool = False

    @property
    def refused(self) -> bool:
        return bool(self.problems)


def read_csv(body: bytes) -> list[tuple[int, dict]]:
    """(line number, row) pairs; column names are matched without case or surrounding spaces."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScoreFileError(f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ScoreFileError(f"missing column(s): {', '.join(missing)} (need {', '.join(REQUIRED)}; "
                             f"optional {', '.join(OPTIONAL)})")
    reader.fieldnames = header
    rows = []
    for row in reader:
        if len(rows) >= MAX_ROWS:
            raise ScoreFileError(f"more than {MAX_ROWS} rows; split the file")
        if None in row:
            rows.append((reader.line_num, {"__extra__": "1"}))
            continue
        cleaned = {k: (v or "").strip() for k, v in row.items() if k}
        if any(cleaned.values()):
            rows.append((reader.line_num, cleaned))
    return rows


def _flag(text: str, name: str) -> bool | None:
    value = text.strip().lower()
    if value == "":
        return None
    if value in YES:
        return True
    if value in NO:
        return False
    raise ValueError(f"{name} must be yes or no, not {text[:20]!r}")


class _Models:
    """Resolves a row's model by slug, a source's alias, or exact display name (one query each, cached)."""

    def __init__(self, source_slug: str):
        self.source_slug = source_slug
        self.memo: dict[str, Model | str] = {}

    def get(self, text: str) -> Model | str:
        if text not in self.memo:
            self.memo[text] = self._find(text)
        return self.memo[text]

    def _find(self, text: str) -> Model | str:
        model = Model.objects.select_related("first_party").filter(slug=text).first()
        if model:
            return model
        alias = (ModelAlias.objects.filter(alias=text, source__in=["*", self.source_slug], model__isnull=False)
                 .select_related("model__first_party").first())
        if alias:
            return alias.model
        named = list(Model.objects.select_related("first_party").filter(name__iexact=text)[:2])
        if len(named) == 1:
            return named[0]
        if named:
            return f"model name {text[:80]!r} is ambiguous; use its slug"
        return f"unknown model {text[:80]!r} (use a slug such as deepseek/deepseek-r1, or a known alias)"


def is_self_reported(model: Model, evaluator: str) -> bool:
    """The evaluator is the model's maker: its author, or its first-party provider by slug or name."""
    who = evaluator.strip().casefold()
    makers = {model.author.casefold(), model.author_part.casefold()}
    if model.first_party_id:
        makers |= {model.first_party.slug.casefold(), model.first_party.name.casefold()}
    return who in makers


def _check(row: dict, models: _Models, directions: dict[tuple[str, str], tuple[bool, int | None]]) -> Clean | str:
    if "__extra__" in row:
        return "more cells than columns"
    for name in REQUIRED:
        if not row.get(name):
            return f"no {name}" + (" (every score needs where it is written)" if name == "citation" else "")
    if len(row["benchmark"]) > 200 or len(row["metric"]) > 100 or len(row["evaluator"]) > 200:
        return "benchmark, metric or evaluator too long"
    try:
        value = Decimal(row["score"])
    except InvalidOperation:
        return f"score {row['score'][:40]!r} is not a number"
    if not value.is_finite() or abs(value) >= MAX_SCORE:
        return f"score {row['score'][:40]!r} is not a finite number below {MAX_SCORE:,.0f}"
    citation = row["citation"]
    try:
        if len(citation) > 1000:
            raise ValidationError("too long")
        _url(citation)
    except ValidationError:
        return f"citation {citation[:80]!r} is not an http(s) URL"
    try:
        higher = _flag(row.get("higher_is_better", ""), "higher_is_better")
        self_flag = _flag(row.get("self_reported", ""), "self_reported")
        when = date.fromisoformat(row["date"]) if row.get("date") else None
    except ValueError as exc:
        return str(exc) if "must be" in str(exc) else f"date {row.get('date', '')[:20]!r} is not YYYY-MM-DD"
    model = models.get(row["model"])
    if isinstance(model, str):
        return model
    key = (row["benchmark"], row["metric"])
    held, line = directions.get(key, (None, None))
    if higher is not None and held is not None and held != higher:
        where = f"line {line} of this file" if line else "the stored benchmark"
        return (f"{row['benchmark']} ({row['metric']}) is {'higher' if held else 'lower'}-is-better in {where}; "
                f"this row says {'higher' if higher else 'lower'}")
    return Clean(
        line=0, benchmark=row["benchmark"], metric=row["metric"], category=row.get("category", "")[:100],
        higher_is_better=higher, model=model, value=value, evaluator=row["evaluator"],
        self_reported=is_self_reported(model, row["evaluator"]) if self_flag is None else self_flag,
        settings=row.get("settings", ""), evaluated_on=when, citation=citation,
        as_printed=(row.get("as_printed") or row["model"])[:300],
    )


def check(rows: list[tuple[int, dict]], source_slug: str) -> tuple[list[Clean], list[tuple[int, str]]]:
    """Every row checked on its own; a problem never stops the others from being checked."""
    models = _Models(source_slug)
    directions: dict[tuple[str, str], tuple[bool, int | None]] = {
        (b.name, b.metric): (b.higher_is_better, None) for b in Benchmark.objects.all()
    }
    seen: dict[tuple, int] = {}
    clean, problems = [], []
    for line, row in rows:
        result = _check(row, models, directions)
        if isinstance(result, str):
            problems.append((line, result))
            continue
        result.line = line
        key = (result.benchmark, result.metric, result.model.pk, result.evaluator.casefold())
        if key in seen:
            problems.append((line, f"duplicate of line {seen[key]}: {result.model.slug} on {result.benchmark} "
                                   f"({result.metric}) by {result.evaluator}"))
            continue
        seen[key] = line
        if result.higher_is_better is not None:
            directions.setdefault((result.benchmark, result.metric), (result.higher_is_better, line))
        clean.append(result)
    if not rows:
        problems.append((1, "no rows"))
    return clean, problems


def _benchmark(row: Clean, memo: dict) -> Benchmark:
    key = (row.benchmark, row.metric)
    if key not in memo:
        bench = Benchmark.objects.filter(name=row.benchmark, metric=row.metric).first()
        if bench is None:
            base = slugify(f"{row.benchmark} {row.metric}")[:100] or "benchmark"
            slug, n = base, 1
            while Benchmark.objects.filter(slug=slug).exists():
                n += 1
                slug = f"{base}-{n}"
            bench = Benchmark.objects.create(
                slug=slug, name=row.benchmark, metric=row.metric, category=row.category,
                higher_is_better=True if row.higher_is_better is None else row.higher_is_better,
            )
        elif row.category and not bench.category:
            bench.category = row.category
            bench.save(update_fields=["category"])
        memo[key] = bench
    return memo[key]


def _write(run: CollectionRun, source: Source, clean: list[Clean], at: datetime, report: Report) -> None:
    memo: dict = {}
    for row in clean:
        bench = _benchmark(row, memo)
        values = dict(value=row.value, self_reported=row.self_reported, settings=row.settings,
                      evaluated_on=row.evaluated_on, citation=row.citation, as_printed=row.as_printed)
        score = Score.objects.filter(benchmark=bench, model=row.model, evaluator=row.evaluator).first()
        if score is None:
            Score.objects.create(benchmark=bench, model=row.model, evaluator=row.evaluator, source=source, run=run,
                                 first_seen=at, last_seen=at, **values)
            report.new += 1
            continue
        changed = any(getattr(score, k) != v for k, v in values.items()) or score.source_id != source.pk
        for k, v in values.items():
            setattr(score, k, v)
        score.source, score.last_seen = source, max(score.last_seen, at)
        if changed:
            score.run = run
            report.changed += 1
        else:
            report.same += 1
        score.save()


def import_rows(rows: list[tuple[int, dict]], *, source: Source, body: bytes, url: str, at: datetime,
                slot: datetime | None = None, trigger: str = "file") -> Report:
    """Check every row, then write all of them or none, in one transaction, as one run of ``source``."""
    with transaction.atomic():
        run, created = CollectionRun.objects.get_or_create(source=source, slot=slot or at,
                                                           defaults={"trigger": trigger})
        if not created and run.status == CollectionRun.Status.COMPLETE:
            return Report(run, skipped=True)
        store_payload(run, Payload(url=url, body=body, fetched_at=at, kind="scores"))
        clean, problems = check(rows, source.slug)
        report = Report(run, problems)
        fields = dict(started=at, finished=timezone.now(), n_seen=len(rows))
        if problems:
            QuoteRejection.objects.bulk_create(
                QuoteRejection(run=run, provider_model_id=f"line {line}"[:300], reason=reason[:2000])
                for line, reason in problems
            )
            CollectionRun.objects.filter(pk=run.pk).update(
                status=CollectionRun.Status.REFUSED, n_rejected=len(problems),
                error=f"{len(problems)} bad row(s); nothing written. First: line {problems[0][0]}: {problems[0][1]}"[:5000],
                **fields)
            return report
        _write(run, source, clean, at, report)
        CollectionRun.objects.filter(pk=run.pk).update(status=CollectionRun.Status.COMPLETE, n_new=report.new,
                                                       n_changed=report.changed, **fields)
        if report.new or report.changed:
            transaction.on_commit(bump_generation)
    return report


def scores_source(slug: str, name: str = "", url: str = "") -> Source:
    source, _ = Source.objects.get_or_create(
        slug=slug, defaults={"name": name or slug, "kind": Source.Kind.CURATED, "url": url,
                             "weight": Source.default_weight("curated")})
    return source


def import_file(path: str | Path, *, source_slug: str = USER_SOURCE, at: datetime | None = None) -> Report:
    """``manage.py import_scores``: a user's own evaluations from a CSV file."""
    path = Path(path)
    body = path.read_bytes()
    rows = read_csv(body)
    source = scores_source(source_slug, "Scores imported by a user" if source_slug == USER_SOURCE else source_slug)
    return import_rows(rows, source=source, body=body, url=path.resolve().as_uri(), at=at or timezone.now())


def load_snapshot(section: dict) -> dict[str, int]:
    """The bundled snapshot's score tables: one run per score source, at the table's date; a
    second load finds the run complete and changes nothing."""
    counts = {"score_runs": 0, "scores_new": 0, "scores_refused": 0}
    rows_by_source: dict[str, list[dict]] = {}
    for item in section.get("scores", []):
        rows_by_source.setdefault(item["source"], []).append(item)
    for spec in section.get("score_sources", []):
        items = rows_by_source.get(spec["slug"], [])
        defaults = {k: spec.get(k, "") for k in ("evaluator", "settings", "date", "citation")}
        rows = []
        for n, item in enumerate(items, start=1):
            row = {**defaults, **{k: v for k, v in item.items() if k != "source"}}
            row["score"] = str(row["score"])
            row["higher_is_better"] = {True: "yes", False: "no"}.get(row.get("higher_is_better"), "")
            rows.append((n, {k: ("" if v is None else str(v)) for k, v in row.items()}))
        source = Source.objects.filter(slug=spec["slug"]).first() or scores_source(spec["slug"], spec["name"],
                                                                                    spec.get("url", ""))
        at = parse_datetime(spec["at"])
        body = json.dumps({"source": spec, "scores": items}, sort_keys=True, ensure_ascii=False).encode()
        report = import_rows(rows, source=source, body=body, url=spec.get("url") or spec["citation"], at=at,
                             slot=at, trigger="snapshot")
        if report.skipped:
            continue
        counts["score_runs"] += 1
        counts["scores_new"] += report.new
        counts["scores_refused"] += len(report.problems)
    return counts
