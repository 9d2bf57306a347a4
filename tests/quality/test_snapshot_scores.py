"""The R1 evaluation table, loaded from the bundled snapshot: every row, with its provenance, as a
run of its own source; the launch claims recomputed from the stored scores, never typed in."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from pricing.collection.snapshot import SNAPSHOT, load
from pricing.models import CollectionRun, Model, RunPayload
from pricing.quality import queries as q
from pricing.quality.models import Benchmark, Score
from pricing.queries import offers_for_model, reference
from tests.quality.helpers import CLAUDE, O1, O1_MINI, R1, REFERENCE, SIX, V3

pytestmark = pytest.mark.django_db
CITATION = "https://github.com/deepseek-ai/DeepSeek-R1/blob/0cf78561f1d51c84a21b2190626b21116d5c68bb/README.md"


@pytest.fixture
def loaded():
    load()
    return [Model.objects.get(slug=s) for s in SIX]


def _reference_rows() -> list[dict]:
    if not REFERENCE.exists():
        pytest.skip(f"reference table not present at {REFERENCE}")
    return list(csv.DictReader(REFERENCE.open(encoding="utf-8")))


def test_every_row_of_the_r1_table_is_in_the_snapshot_with_the_same_score():
    section = json.loads(Path(SNAPSHOT).read_text())["quality"]
    printed = {(s["benchmark"], s["metric"], s["as_printed"]): s["score"] for s in section["scores"]}
    rows = _reference_rows()
    assert len(printed) == len(rows) == 115
    for row in rows:
        assert printed[(row["benchmark"], row["metric"], row["model"])] == row["score"], row
    (source,) = section["score_sources"]
    assert source["citation"] == CITATION and source["evaluator"] == "DeepSeek"


def test_loading_stores_every_score_with_evaluator_citation_and_provenance(loaded):
    assert Score.objects.count() == 115
    assert Benchmark.objects.count() == 21  # Codeforces percentile and rating are two benchmarks
    assert not Score.objects.exclude(citation=CITATION).exists()
    assert set(Score.objects.values_list("evaluator", flat=True)) == {"DeepSeek"}
    # DeepSeek ran its own models (self-reported) and reported the others' (third-party to them).
    assert set(Score.objects.filter(self_reported=True).values_list("model__slug", flat=True)) == {R1, V3}
    assert Score.objects.filter(self_reported=False).count() == 115 - 21 - 20
    run = CollectionRun.objects.get(source__slug="deepseek-r1-readme")
    assert (run.status, run.trigger, run.n_seen, run.n_new) == ("complete", "snapshot", 115, 115)
    payload = RunPayload.objects.get(run=run).payload
    assert json.loads(payload.body)["source"]["citation"] == CITATION
    assert Score.objects.get(model__slug=R1, benchmark__slug="codeforces-rating").value == Decimal("2029")


def test_loading_twice_changes_nothing(loaded):
    before = list(Score.objects.order_by("pk").values_list("pk", "value", "last_seen", "run_id"))
    counts = load()
    assert counts["score_runs"] == 0
    assert list(Score.objects.order_by("pk").values_list("pk", "value", "last_seen", "run_id")) == before
    assert CollectionRun.objects.filter(source__slug="deepseek-r1-readme").count() == 1


def test_o1_mini_is_in_the_catalogue_with_its_cited_list_price(loaded):
    o1_mini = Model.objects.get(slug=O1_MINI)
    ref = reference(o1_mini, offers_for_model(o1_mini), "first-party")
    assert (ref.input, ref.output, ref.cached_input) == (Decimal("1.1"), Decimal("4.4"), Decimal("0.55"))
    row = offers_for_model(o1_mini)[0]
    assert "simonw/llm-prices" in row.extra["cite"] and "o1-mini" in row.extra["cite"]
    for slug in SIX:  # every model of the table has a first-party price
        model = Model.objects.get(slug=slug)
        assert reference(model, offers_for_model(model), "first-party").blended is not None, slug


def _independent_counts():
    """The launch claims counted straight from the reference CSV, with no code of ours."""
    table: dict[str, dict[str, Decimal]] = {}
    for row in _reference_rows():
        table.setdefault(f"{row['benchmark']}|{row['metric']}", {})[row["model"]] = Decimal(row["score"])
    return table


def test_o1_against_r1_eleven_shared_r1_higher_on_five_o1_on_six(loaded):
    lines = q.table([loaded[4], loaded[5]])
    t = q.tally(lines, 0, 1)
    assert (t.shared, t.a_higher, t.b_higher, t.ties) == (11, 6, 5, 0)
    table = _independent_counts()
    both = [b for b in table.values() if "OpenAI o1-1217" in b and "DeepSeek R1" in b]
    assert len(both) == 11 and sum(b["DeepSeek R1"] > b["OpenAI o1-1217"] for b in both) == 5


def test_o1_mini_against_r1_twenty_one_shared_r1_higher_on_twenty(loaded):
    t = q.tally(q.table([loaded[3], loaded[5]]), 0, 1)
    assert (t.shared, t.a_higher, t.b_higher) == (21, 1, 20)


def test_all_six_r1_best_on_12_of_21_and_on_o1s_11_r1_4_o1_6_claude_1(loaded):
    lines = q.table(loaded)
    overall, *per_model = q.coverage(lines, 6)
    assert overall.n == 21 and overall.best[5] == 12 and overall.ties == 0
    on_o1 = per_model[4]
    assert on_o1.n == 11
    assert dict(zip(SIX, on_o1.best, strict=True)) == {CLAUDE: 1, "openai/gpt-4o": 0, V3: 0, O1_MINI: 0, O1: 6, R1: 4}
    # The table prints the best score in bold: ours agree row by row.
    bold = {(r["benchmark"], r["metric"]): r["model"] for r in _reference_rows() if r["best_in_row"] == "yes"}
    printed = {s.model.slug: s.as_printed for s in Score.objects.select_related("model")}
    for line in lines:
        assert [printed[SIX[i]] for i in line.best] == [bold[(line.benchmark.name, line.benchmark.metric)]]
