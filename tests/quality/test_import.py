"""manage.py import_scores: a user's own evaluations. All rows or none; a reason per bad row;
importing the same file again changes nothing."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from pricing.models import CollectionRun, QuoteRejection, RunPayload
from pricing.quality.loader import import_file
from pricing.quality.models import Benchmark, Score
from tests.quality.helpers import CITE, O1, R1, V3, mkmodels, write_csv

pytestmark = pytest.mark.django_db

GOOD = [
    {"benchmark": "HumanEval+", "metric": "pass@1", "model": R1, "score": "88.5"},
    {"benchmark": "HumanEval+", "metric": "pass@1", "model": O1, "score": "90.1"},
    {"benchmark": "Latency-Bench", "metric": "seconds", "model": R1, "score": "12.5", "higher_is_better": "no"},
    {"benchmark": "HumanEval+", "metric": "pass@1", "model": V3, "score": "81", "evaluator": "DeepSeek"},
]


@pytest.fixture
def models():
    return mkmodels()


def run_command(path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_scores", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_writes_every_row_with_provenance_as_a_run_keeping_the_file(models, tmp_path):
    path = write_csv(tmp_path / "scores.csv", GOOD)
    out, _ = run_command(path)
    assert "4 new, 0 changed, 0 unchanged" in out
    assert Score.objects.count() == 4
    s = Score.objects.get(model__slug=R1, benchmark__name="HumanEval+")
    assert (s.value, s.evaluator, s.citation, str(s.evaluated_on)) == (Decimal("88.5"), "Our lab", CITE, "2025-06-01")
    assert s.self_reported is False
    assert Score.objects.get(model__slug=V3).self_reported is True  # DeepSeek evaluating its own model
    assert Benchmark.objects.get(name="Latency-Bench").higher_is_better is False
    run = CollectionRun.objects.get(source__slug="user-scores")
    assert (run.status, run.trigger, run.n_seen, run.n_new) == ("complete", "file", 4, 4)
    assert RunPayload.objects.get(run=run).payload.body == path.read_bytes()


def test_importing_the_same_file_again_changes_nothing(models, tmp_path):
    path = write_csv(tmp_path / "scores.csv", GOOD)
    run_command(path)
    before = list(Score.objects.order_by("pk").values_list("pk", "value", "run_id", "first_seen"))
    out, _ = run_command(path)
    assert "0 new, 0 changed, 4 unchanged" in out
    assert list(Score.objects.order_by("pk").values_list("pk", "value", "run_id", "first_seen")) == before
    assert Benchmark.objects.count() == 2


def test_a_changed_score_updates_in_place_and_names_the_run(models, tmp_path):
    run_command(write_csv(tmp_path / "a.csv", GOOD))
    changed = [dict(GOOD[0], score="89.0"), *GOOD[1:]]
    out, _ = run_command(write_csv(tmp_path / "b.csv", changed))
    assert "0 new, 1 changed, 3 unchanged" in out
    s = Score.objects.get(model__slug=R1, benchmark__name="HumanEval+")
    assert s.value == Decimal("89.0") and s.run == CollectionRun.objects.order_by("-pk").first()


BAD = [
    {"benchmark": "HumanEval+", "metric": "pass@1", "model": R1, "score": "88.5", "higher_is_better": "yes"},  # 2
    {"benchmark": "HumanEval+", "metric": "pass@1", "model": "acme/nonesuch", "score": "50"},      # line 3
    {"benchmark": "HumanEval+", "metric": "pass@1", "model": O1, "score": "ninety"},               # line 4
    {"benchmark": "HumanEval+", "metric": "pass@1", "model": R1, "score": "88.6"},                 # line 5 dup of 2
    {"benchmark": "MMLU", "metric": "EM", "model": O1, "score": "80", "citation": ""},             # line 6
    {"benchmark": "MMLU", "metric": "EM", "model": R1, "score": "80", "citation": "javascript:alert(1)"},  # 7
    {"benchmark": "MMLU", "metric": "EM", "model": V3, "score": "NaN"},                            # line 8
    {"benchmark": "MMLU", "metric": "EM", "model": V3, "score": "70", "date": "June 2025", "evaluator": "X"},  # 9
    {"benchmark": "HumanEval+", "metric": "pass@1", "model": V3, "score": "70", "higher_is_better": "no"},  # 10
]


def test_a_bad_file_is_refused_row_by_row_and_nothing_is_written(models, tmp_path):
    path = write_csv(tmp_path / "bad.csv", BAD)
    err = StringIO()
    with pytest.raises(CommandError, match=r"refused: 8 bad row\(s\); nothing was written"):
        call_command("import_scores", str(path), stderr=err)
    lines = err.getvalue().splitlines()
    expected = {
        3: "unknown model 'acme/nonesuch'",
        4: "score 'ninety' is not a number",
        5: "duplicate of line 2",
        6: "no citation",
        7: "citation 'javascript:alert(1)' is not an http(s) URL",
        8: "score 'NaN' is not a finite number",
        9: "date 'June 2025' is not YYYY-MM-DD",
        10: "higher-is-better in line 2 of this file; this row says lower",
    }
    assert len(lines) == len(expected)
    for line, text in zip(sorted(expected), lines, strict=True):
        assert text.startswith(f"line {line}: ") and expected[line] in text, (line, text)
    assert Score.objects.count() == 0 and Benchmark.objects.count() == 0
    run = CollectionRun.objects.get(source__slug="user-scores")
    assert (run.status, run.n_seen, run.n_rejected) == ("refused", 9, 8)
    assert QuoteRejection.objects.filter(run=run).count() == 8
    assert RunPayload.objects.get(run=run).payload.body == path.read_bytes()


def test_a_refused_file_leaves_earlier_scores_as_they_were(models, tmp_path):
    run_command(write_csv(tmp_path / "a.csv", GOOD))
    before = list(Score.objects.order_by("pk").values_list("pk", "value"))
    report = import_file(write_csv(tmp_path / "b.csv", [dict(GOOD[0], score="1"), dict(GOOD[1], model="x/y")]))
    assert report.refused and [line for line, _ in report.problems] == [3]
    assert list(Score.objects.order_by("pk").values_list("pk", "value")) == before


def test_a_direction_that_contradicts_a_stored_benchmark_is_refused(models, tmp_path):
    run_command(write_csv(tmp_path / "a.csv", GOOD))
    report = import_file(write_csv(tmp_path / "b.csv", [dict(GOOD[2], higher_is_better="yes", model=O1)]))
    assert report.problems == [(2, "Latency-Bench (seconds) is lower-is-better in the stored benchmark; "
                                   "this row says higher")]


def test_a_file_without_the_required_columns_is_an_error_not_a_traceback(models, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("benchmark,model,score\nMMLU,deepseek/deepseek-r1,90\n")
    with pytest.raises(CommandError, match="missing column.*metric, evaluator, citation"):
        call_command("import_scores", str(path))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_scores", str(tmp_path / "absent.csv"))
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00bench")
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_scores", str(binary))
    assert not Score.objects.exists()


def test_models_are_found_by_alias_and_by_name(models, tmp_path):
    from pricing.models import ModelAlias

    ModelAlias.objects.create(source="*", alias="OpenAI o1-1217", model=models[O1])
    report = import_file(write_csv(tmp_path / "a.csv", [
        {"benchmark": "GPQA", "metric": "Pass@1", "model": "OpenAI o1-1217", "score": "75.7"},
        {"benchmark": "GPQA", "metric": "Pass@1", "model": "DEEPSEEK-R1", "score": "71.5"},
    ]))
    assert not report.refused
    assert set(Score.objects.values_list("model__slug", "as_printed")) == {(O1, "OpenAI o1-1217"),
                                                                           (R1, "DEEPSEEK-R1")}
