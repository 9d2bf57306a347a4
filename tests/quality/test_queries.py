"""Who is best, ties, lower-is-better, the frontier and points per dollar, on small made-up data."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from pricing.models import Source
from pricing.quality import queries as q
from pricing.quality.models import Benchmark, Score
from tests.quality.helpers import CITE, O1, O1_MINI, R1, V3, mkmodels

pytestmark = pytest.mark.django_db
AT = datetime(2025, 6, 1, tzinfo=UTC)


def add(bench: Benchmark, model, value: str, evaluator: str = "Lab", **kw) -> Score:
    source, _ = Source.objects.get_or_create(slug="test-scores", defaults={"name": "t", "kind": "curated"})
    return Score.objects.create(benchmark=bench, model=model, value=Decimal(value), evaluator=evaluator,
                                self_reported=False, citation=CITE, source=source, first_seen=AT, last_seen=AT, **kw)


@pytest.fixture
def m():
    return mkmodels()


def test_a_tie_names_both_and_counts_as_a_tie_for_no_one(m):
    bench = Benchmark.objects.create(slug="b", name="B", metric="acc")
    add(bench, m[R1], "80.0")
    add(bench, m[O1], "80")
    add(bench, m[V3], "70")
    lines = q.table([m[R1], m[O1], m[V3]])
    assert lines[0].best == [0, 1] and lines[0].tie
    t = q.tally(lines, 0, 1)
    assert (t.shared, t.a_higher, t.b_higher, t.ties) == (1, 0, 0, 1)
    overall = q.coverage(lines, 3)[0]
    assert overall.best == [0, 0, 0] and overall.ties == 1
    assert "(1 tie)" in q.sentence(lines, ["R1", "o1", "V3"], [Decimal(1), Decimal(2), None], 0, 1)


def test_lower_is_better_picks_the_lowest_and_has_no_points_per_dollar(m):
    bench = Benchmark.objects.create(slug="err", name="Error rate", metric="%", higher_is_better=False)
    add(bench, m[R1], "5")
    add(bench, m[O1], "3")
    lines = q.table([m[R1], m[O1]])
    assert lines[0].best == [1]
    assert q.tally(lines, 0, 1).b_higher == 1
    assert q.per_dollar(Decimal("5"), Decimal("1"), bench) is None
    assert "scores better on" in q.sentence(lines, ["R1", "o1"], [Decimal(1), Decimal(20)], 0, 1)


def test_a_benchmark_only_one_model_was_run_on_has_no_best(m):
    bench = Benchmark.objects.create(slug="solo", name="Solo", metric="acc")
    add(bench, m[R1], "50")
    lines = q.table([m[R1], m[O1]])
    assert lines[0].best == [] and q.tally(lines, 0, 1).shared == 0
    assert q.coverage(lines, 2)[0].n == 0
    assert q.sentence(lines, ["R1", "o1"], [None, None], 0, 1) == "R1 and o1 share no benchmark."


def test_with_two_evaluators_the_one_who_scored_more_of_the_models_is_used(m):
    bench = Benchmark.objects.create(slug="b", name="B", metric="acc")
    add(bench, m[R1], "90", evaluator="Maker")
    add(bench, m[R1], "70", evaluator="Referee")
    add(bench, m[O1], "80", evaluator="Referee")
    line = q.table([m[R1], m[O1]])[0]
    assert [s.evaluator for s in line.scores] == ["Referee", "Referee"] and line.best == [1]


def test_points_per_dollar_and_the_price_phrase():
    bench = Benchmark(slug="b", name="B", metric="acc")
    assert q.per_dollar(Decimal("90.8"), Decimal("0.96"), bench) == Decimal("94.58")
    assert q.per_dollar(Decimal("90"), Decimal("0"), bench) is None  # free: no finite figure
    assert q.per_dollar(Decimal("90"), None, bench) is None
    assert q.price_phrase(Decimal("0.96"), Decimal("26.25")) == "at 1/27 the price"
    assert q.price_phrase(Decimal("1"), Decimal("1.5")) == "at 67% of the price"
    assert q.price_phrase(Decimal("1"), Decimal("1")) == "at the same price"


def test_the_frontier_keeps_only_points_nothing_beats_on_both_price_and_score():
    pts = [(Decimal("1"), Decimal("80")), (Decimal("2"), Decimal("70")), (Decimal("10"), Decimal("90")),
           (Decimal("10"), Decimal("85")), (Decimal("0.5"), Decimal("60")), (Decimal("1"), Decimal("80"))]
    assert q.frontier(pts, True) == [4, 0, 5, 2]  # (2, 70) and (10, 85) are beaten; equal points both stay
    assert q.frontier(pts, False) == [4]  # lower is better: cheapest and lowest


def test_sorting_puts_unknown_prices_last(m):
    bench = Benchmark.objects.create(slug="b", name="B", metric="acc")
    scores = [add(bench, m[R1], "90"), add(bench, m[O1], "92"), add(bench, m[O1_MINI], "85")]

    class Ref:
        def __init__(self, blended):
            self.blended, self.basis, self.provider_slug = blended, "first-party", ""

    refs = {R1: Ref(Decimal("1")), O1: Ref(Decimal("26.25"))}
    items = q.points(bench, scores, refs, {R1: "R1", O1: "o1", O1_MINI: "o1-mini"})
    assert [p.name for p in q.sort_points(items, "per_dollar", bench)] == ["R1", "o1", "o1-mini"]
    assert [p.name for p in q.sort_points(items, "score", bench)] == ["o1", "R1", "o1-mini"]
    assert [p.name for p in q.sort_points(items, "price", bench)] == ["R1", "o1", "o1-mini"]
    assert [p.name for p in items if p.on_frontier] == ["R1", "o1"]


def test_places_share_ties_respect_direction_and_count_each_model_once(m):
    up = Benchmark.objects.create(slug="up", name="Up", metric="acc")
    down = Benchmark.objects.create(slug="down", name="Down", metric="s", higher_is_better=False)
    r1, o1 = add(up, m[R1], "80"), add(up, m[O1], "80")
    add(up, m[V3], "90")
    add(up, m[V3], "10", evaluator="Someone else")  # V3 counts once, with its best
    fast, slow = add(down, m[R1], "3"), add(down, m[O1], "5")
    places = q.ranks([r1, o1, fast, slow])
    assert places[r1.pk] == places[o1.pk] == (2, 3)
    assert places[fast.pk] == (1, 2) and places[slow.pk] == (2, 2)
