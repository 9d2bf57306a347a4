"""The scores API: /benchmarks, a model's /scores (JSON and CSV), and /compare's quality block,
each body checked against the schema the API serves."""

from __future__ import annotations

import csv
import io

import pytest

from pricing.collection.snapshot import load
from tests.quality.helpers import CLAUDE, O1, O1_MINI, R1, SIX

pytestmark = pytest.mark.django_db


@pytest.fixture
def snap():
    load()


def test_compare_o1_and_r1_counts_11_shared_6_and_5(client, snap, valid):
    body = valid(client.get(f"/api/v1/compare?models={O1},{R1}&basis=first-party"), "/api/v1/compare")
    (pair,) = body["quality"]["pairs"]
    assert (pair["a"], pair["b"], pair["shared"], pair["a_better"], pair["b_better"], pair["ties"]) == (
        O1, R1, 11, 6, 5, 0)
    assert pair["summary"].endswith("DeepSeek R1 scores higher on 5 and OpenAI o1 on 6, at 1/27 the price.")
    assert len(body["quality"]["benchmarks"]) == 21
    mmlu = next(b for b in body["quality"]["benchmarks"] if b["benchmark"] == "mmlu-pass1")
    assert mmlu["best"] == [O1]
    o1, r1 = mmlu["scores"]
    assert (o1["score"], o1["self_reported"], r1["score"], r1["self_reported"]) == ("91.8", False, "90.8", True)
    assert r1["citation"].startswith("https://github.com/deepseek-ai/DeepSeek-R1/blob/")
    assert r1["score_per_dollar"] is not None and o1["score_per_dollar"] is not None


def test_compare_o1_mini_and_r1_and_all_six(client, snap, valid):
    body = valid(client.get(f"/api/v1/compare?models={O1_MINI},{R1}"), "/api/v1/compare")
    assert (body["quality"]["pairs"][0]["shared"], body["quality"]["pairs"][0]["b_better"]) == (21, 20)
    body = valid(client.get("/api/v1/compare?models=" + ",".join(SIX)), "/api/v1/compare")
    counts = {c["on"]: c for c in body["quality"]["best_counts"]}
    assert (counts[None]["benchmarks"], counts[None]["best"][R1]) == (21, 12)
    assert counts[O1]["benchmarks"] == 11
    assert {k: v for k, v in counts[O1]["best"].items() if v} == {R1: 4, O1: 6, CLAUDE: 1}
    assert len(body["quality"]["pairs"]) == 15


def test_benchmarks_list_as_json_and_csv(client, snap, valid):
    body = valid(client.get("/api/v1/benchmarks"), "/api/v1/benchmarks")
    assert body["count"] == 21
    rating = next(b for b in body["items"] if b["slug"] == "codeforces-rating")
    assert (rating["name"], rating["metric"], rating["higher_is_better"], rating["n_models"]) == (
        "Codeforces", "Rating", True, 6)
    response = client.get("/api/v1/benchmarks?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 21 and rows[0].keys() >= {"slug", "metric", "higher_is_better", "n_scores"}


def test_a_models_scores_with_provenance_as_json_and_csv(client, snap, valid):
    body = valid(client.get(f"/api/v1/models/{O1}/scores"), "/api/v1/models/{author}/{name}/scores")
    assert body["count"] == 11
    assert {i["evaluator"] for i in body["items"]} == {"DeepSeek"}
    assert not any(i["self_reported"] for i in body["items"])  # DeepSeek's figures for OpenAI's model
    assert all(i["citation"].startswith("https://") and i["evaluated_on"] == "2025-01-20" for i in body["items"])
    response = client.get(f"/api/v1/models/{O1}/scores?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 11 and rows[0]["source"] == "deepseek-r1-readme"
    assert 'filename="openai-o1-scores.csv"' in response["Content-Disposition"]


def test_unknown_model_and_bad_format_are_404_and_400(client, snap):
    assert client.get("/api/v1/models/acme/none/scores").status_code == 404
    assert client.get(f"/api/v1/models/{O1}/scores?format=xml").status_code == 400
    assert client.get("/api/v1/benchmarks?format=xml").status_code == 400


def test_the_new_endpoints_are_in_the_openapi_schema(openapi):
    for path in ("/api/v1/benchmarks", "/api/v1/models/{author}/{name}/scores"):
        assert path in openapi["paths"]
    compare = openapi["components"]["schemas"]["CompareOut"]
    assert "quality" in compare["properties"] and "quality" in compare["required"]
    score = openapi["components"]["schemas"]["ScoreOut"]["properties"]
    assert "self_reported" in score and "citation" in score and "evaluator" in score


def test_the_models_list_ranks_by_points_per_dollar_on_a_benchmark(client, snap, valid):
    path = "/api/v1/models"
    body = valid(client.get(path, {"benchmark": "gpqa-diamond-pass1", "sort": "score_per_dollar", "limit": 3}), path)
    firsts = [(i["slug"], i["score"]["score_per_dollar"]) for i in body["items"]]
    per_dollar = [float(v) for _, v in firsts]
    assert per_dollar == sorted(per_dollar, reverse=True) and len(firsts) == 3
    # The next page carries on, and models without a score come after every model with one.
    every = valid(client.get(path, {"benchmark": "gpqa-diamond-pass1", "sort": "score_per_dollar", "limit": 500}),
                  path)["items"]
    assert [i["slug"] for i in every[:3]] == [s for s, _ in firsts]
    scored = [i for i in every if i["score"]]
    assert len(scored) == 6 and every[: len(scored)] == scored
    r1 = next(i for i in scored if i["slug"] == R1)
    assert r1["score"]["score"] == "71.5" and r1["score"]["self_reported"] is True
    expected = (71.5 / float(r1["cheapest"]["mix"]))
    assert abs(float(r1["score"]["score_per_dollar"]) - expected) < 0.01
    nxt = valid(client.get(path, {"benchmark": "gpqa-diamond-pass1", "sort": "score_per_dollar", "limit": 3,
                                  "offset": 3}), path)
    assert [i["slug"] for i in nxt["items"]] == [i["slug"] for i in every[3:6]]


def test_the_models_list_without_a_benchmark_is_unchanged_and_bad_asks_are_refused(client, snap):
    body = client.get("/api/v1/models").json()
    assert all(i["score"] is None for i in body["items"])
    assert [i["slug"] for i in body["items"]] == sorted(i["slug"] for i in body["items"])
    assert client.get("/api/v1/models?sort=score_per_dollar").status_code == 400
    assert client.get("/api/v1/models?benchmark=nope").status_code == 404
    assert client.get("/api/v1/models?sort=price").status_code == 400
