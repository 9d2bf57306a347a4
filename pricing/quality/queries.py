"""Reads that set scores beside prices. Every count is computed from stored scores.

* ``table(models)``: per benchmark, each model's score (one evaluator's, see ``_pick``) and who is
  best (respecting higher-is-better; a tie names every model that shares the best score);
* ``tally(table, a, b)``: on the benchmarks both were run on, how often each scores higher;
* ``coverage(table)``: who is best how often, on every benchmark and on each model's own set;
* ``per_dollar``: points per dollar of blended price per million tokens.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from pricing.models import Model
from pricing.quality.models import Benchmark, Score
from pricing.queries.base import QueryError


@dataclass
class Line:
    """One benchmark across the compared models: their scores (None where not run) and the best."""

    benchmark: Benchmark
    scores: list[Score | None]
    best: list[int] = field(default_factory=list)

    @property
    def n_scored(self) -> int:
        return sum(1 for s in self.scores if s is not None)

    @property
    def tie(self) -> bool:
        return len(self.best) > 1


@dataclass
class Tally:
    """Model ``a`` against model ``b`` on the benchmarks both were run on."""

    a: int
    b: int
    shared: int = 0
    a_higher: int = 0
    b_higher: int = 0
    ties: int = 0


@dataclass
class Coverage:
    """Over a set of benchmarks (all, or those one model was run on): how often each model is best."""

    on: int | None
    n: int
    best: list[int]
    ties: int


def better(bench: Benchmark, x: Decimal, y: Decimal) -> int:
    """1 if x beats y on this benchmark, -1 if y beats x, 0 for a tie."""
    if x == y:
        return 0
    return 1 if (x > y) == bench.higher_is_better else -1


def pick(candidates: list[Score], covered: dict[str, int]) -> Score:
    """When several evaluators scored a model on a benchmark, take the one who scored the most of
    the compared models (like for like), then the newest, then by name, so the choice is stable."""
    return sorted(candidates, key=lambda s: (-covered[s.evaluator], -(s.evaluated_on.toordinal() if s.evaluated_on
                                                                      else 0), s.evaluator))[0]


def table(models: list[Model], as_of: date | None = None) -> list[Line]:
    """Every benchmark at least one of the models was run on, in benchmark order (one query).
    With ``as_of``, only scores published by then (or undated) count, like prices as of that day."""
    ids = [m.pk for m in models]
    scores = Score.objects.filter(model_id__in=ids).select_related("benchmark", "source", "model")
    if as_of is not None:
        scores = scores.filter(Q(evaluated_on__isnull=True) | Q(evaluated_on__lte=as_of))
    grouped: dict[int, dict[int, list[Score]]] = defaultdict(lambda: defaultdict(list))
    benches: dict[int, Benchmark] = {}
    for score in scores:
        grouped[score.benchmark_id][score.model_id].append(score)
        benches[score.benchmark_id] = score.benchmark
    lines = []
    for bench_id, by_model in grouped.items():
        covered: dict[str, int] = defaultdict(int)
        for items in by_model.values():
            for evaluator in {s.evaluator for s in items}:
                covered[evaluator] += 1
        line = Line(benches[bench_id], [pick(by_model[m], covered) if by_model.get(m) else None for m in ids])
        scored = [(i, s.value) for i, s in enumerate(line.scores) if s is not None]
        if len(scored) >= 2:
            top = scored[0][1]
            for _, value in scored[1:]:
                if better(line.benchmark, value, top) > 0:
                    top = value
            line.best = [i for i, value in scored if value == top]
        lines.append(line)
    lines.sort(key=lambda ln: (ln.benchmark.category, ln.benchmark.name, ln.benchmark.metric))
    return lines


def tally(lines: list[Line], a: int, b: int) -> Tally:
    out = Tally(a, b)
    for line in lines:
        x, y = line.scores[a], line.scores[b]
        if x is None or y is None:
            continue
        out.shared += 1
        verdict = better(line.benchmark, x.value, y.value)
        if verdict > 0:
            out.a_higher += 1
        elif verdict < 0:
            out.b_higher += 1
        else:
            out.ties += 1
    return out


def coverage(lines: list[Line], n_models: int) -> list[Coverage]:
    """First over every benchmark two or more of the models were run on, then over each model's own."""
    out = []
    for on in [None, *range(n_models)]:
        chosen = [ln for ln in lines if ln.best and (on is None or ln.scores[on] is not None)]
        best = [0] * n_models
        ties = 0
        for line in chosen:
            if line.tie:
                ties += 1
            else:
                best[line.best[0]] += 1
        out.append(Coverage(on, len(chosen), best, ties))
    return out


def per_dollar(score: Decimal | None, price: Decimal | None, bench: Benchmark) -> Decimal | None:
    """Points per dollar of blended price per million tokens; only where higher is better and
    the price is paid (a free model's points per dollar would be infinite)."""
    if score is None or price is None or price <= 0 or not bench.higher_is_better:
        return None
    return (score / price).quantize(Decimal("0.01"), ROUND_HALF_UP)


def price_phrase(cheap: Decimal | None, dear: Decimal | None) -> str:
    """"1/27 the price" from two blended prices (cheap first)."""
    if cheap is None or dear is None or cheap <= 0:
        return "with no price to set beside it"
    r = dear / cheap
    if r >= Decimal("1.95"):
        return f"at 1/{r.quantize(Decimal('1'), ROUND_HALF_UP)} the price"
    if r > Decimal("1.005"):
        return f"at {(100 / r).quantize(Decimal('1'), ROUND_HALF_UP)}% of the price"
    return "at the same price"


def sentence(lines: list[Line], names: list[str], prices: list[Decimal | None], a: int, b: int) -> str:
    """"Of the 11 benchmarks both were run on, R1 scores higher on 5 and o1 on 6, at 1/27 the price."
    The cheaper model is named first; ties are said, never dropped."""
    t = tally(lines, a, b)
    if t.shared == 0:
        return f"{names[a]} and {names[b]} share no benchmark."
    pa, pb = prices[a], prices[b]
    if pa is not None and pb is not None and pb < pa:
        a, b = b, a
        t = tally(lines, a, b)
    ties = f" ({t.ties} tie{'s' if t.ties != 1 else ''})" if t.ties else ""
    return (f"Of the {t.shared} benchmark{'s' if t.shared != 1 else ''} both were run on, {names[a]} scores "
            f"{better_word(lines, a, b)} on {t.a_higher} and {names[b]} on {t.b_higher}{ties}, "
            f"{price_phrase(prices[a], prices[b])}.")


def better_word(lines: list[Line], a: int, b: int) -> str:
    directions = {ln.benchmark.higher_is_better for ln in lines if ln.scores[a] and ln.scores[b]}
    return "higher" if directions == {True} else "better"


def benchmarks_with_counts():
    return Benchmark.objects.annotate(n_scores=Count("scores"), n_models=Count("scores__model", distinct=True))


def scores_of(model: Model) -> list[Score]:
    return list(Score.objects.filter(model=model).select_related("benchmark", "source").order_by(
        "benchmark__category", "benchmark__name", "benchmark__metric", "evaluator"))


def scores_on(bench: Benchmark) -> list[Score]:
    return list(Score.objects.filter(benchmark=bench).select_related("model__first_party", "source").order_by(
        "model__slug", "evaluator"))


def frontier(points: list[tuple[Decimal, Decimal]], higher_is_better: bool) -> list[int]:
    """Indices of the points no other point beats on both price (lower) and score: the "better and
    cheaper" frontier, ordered by price."""
    keep = []
    for i, (price, score) in enumerate(points):
        dominated = False
        for j, (p2, s2) in enumerate(points):
            if j == i:
                continue
            at_least = p2 <= price and (s2 >= score if higher_is_better else s2 <= score)
            strictly = p2 < price or s2 != score
            if at_least and strictly:
                dominated = True
                break
        if not dominated:
            keep.append(i)
    return sorted(keep, key=lambda i: (points[i][0], points[i][1]))


@dataclass
class Point:
    """A score set beside its model's reference price (a ``pricing.queries.Reference``)."""

    score: Score
    name: str
    price: Decimal | None
    basis: str
    provider: str
    per_dollar: Decimal | None = None
    on_frontier: bool = False


def points(bench: Benchmark, scores: list[Score], refs: dict, names: dict[str, str]) -> list[Point]:
    """One point per score; ``refs`` maps model slug to its Reference. Marks the frontier."""
    out = []
    for score in scores:
        ref = refs.get(score.model.slug)
        price = ref.blended if ref is not None else None
        out.append(Point(score, names.get(score.model.slug, score.model.name), price,
                         ref.basis if ref is not None else "", ref.provider_slug if ref is not None else "",
                         per_dollar(score.value, price, bench)))
    priced = [p for p in out if p.price is not None and p.price > 0]
    for i in frontier([(p.price, p.score.value) for p in priced], bench.higher_is_better):
        priced[i].on_frontier = True
    return out


SORTS = ("score", "price", "per_dollar")


def _sort_value(p: Point, key: str, higher_is_better: bool) -> Decimal | None:
    if key == "price":
        return None if p.price is None else -p.price
    if key == "per_dollar":
        return p.per_dollar
    return p.score.value if higher_is_better else -p.score.value


def sort_points(items: list[Point], key: str, bench: Benchmark) -> list[Point]:
    """Best first: highest score (lowest where lower is better), cheapest, or most points per
    dollar. Unknowns (no price, no per-dollar figure) last, by name."""
    key = key if key in SORTS else "score"
    known = [p for p in items if _sort_value(p, key, bench.higher_is_better) is not None]
    known.sort(key=lambda p: p.name)
    known.sort(key=lambda p: _sort_value(p, key, bench.higher_is_better), reverse=True)
    held = {id(p) for p in known}
    return known + sorted((p for p in items if id(p) not in held), key=lambda p: p.name)


def ranks(scores: list[Score]) -> dict[int, tuple[int, int]]:
    """For each of these scores: its place among every tracked model on that benchmark (1 = best;
    equal scores share a place) and how many models there are (one query). A model scored by
    several evaluators counts once, with its best score."""
    benches = {s.benchmark_id: s.benchmark for s in scores}
    best: dict[int, dict[int, Decimal]] = defaultdict(dict)
    rows = Score.objects.filter(benchmark_id__in=list(benches)).values_list("benchmark_id", "model_id", "value")
    for bench_id, model_id, value in rows:
        held = best[bench_id].get(model_id)
        if held is None or better(benches[bench_id], value, held) > 0:
            best[bench_id][model_id] = value
    out = {}
    for s in scores:
        others = best[s.benchmark_id].values()
        out[s.pk] = (1 + sum(1 for v in others if better(s.benchmark, v, s.value) > 0), len(best[s.benchmark_id]))
    return out


def score_lines(lines: dict, slug: str | None) -> None:
    """The /models/ index's lines (model id -> line with ``cheapest``) get ``score`` and
    ``per_dollar`` on the benchmark ``slug``: the score of the evaluator who scored the most
    models on it, divided by the cheapest host's blended price. Two queries."""
    if not slug:
        return
    bench = Benchmark.objects.filter(slug=slug[:120]).first()
    if bench is None:
        raise QueryError(f"no benchmark {slug[:60]!r}; see /benchmarks/")
    scores = list(Score.objects.filter(benchmark=bench, model_id__in=list(lines)))
    covered: dict[str, int] = defaultdict(int)
    by_model: dict[int, list[Score]] = defaultdict(list)
    for sc in scores:
        covered[sc.evaluator] += 1
        by_model[sc.model_id].append(sc)
    for model_id, found in by_model.items():
        line = lines[model_id]
        line.score = pick(found, covered).value
        line.per_dollar = per_dollar(line.score, line.cheapest, bench)
