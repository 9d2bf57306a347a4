from __future__ import annotations

import pytest

from tests.api.market import LLAMA, O1, R1

pytestmark = pytest.mark.django_db
PATH = "/api/v1/compare"


def test_o1_against_r1_at_their_launch_prices(client, built, valid):
    body = valid(client.get(PATH, {"models": f"{O1},{R1}", "basis": "first-party", "as_of": "2025-02-01"}), PATH)
    assert body["as_of"] == "2025-02-01T00:00:00Z" and body["mix"] == "3:1"
    o1, r1 = body["models"]
    assert (o1["provider"], o1["input"], o1["output"]) == ("openai", "15", "60")
    assert (r1["provider"], r1["input"], r1["output"]) == ("deepseek", "0.55", "2.19")
    assert body["pairs"] == [{"a": O1, "b": R1, "input": "27.27", "output": "27.40", "mix": "27.34"}]


def test_it_compares_on_cheapest_median_or_a_named_host(client, built, valid):
    body = valid(client.get(PATH, {"models": f"{R1},{LLAMA}", "basis": "median"}), PATH)
    assert [m["input"] for m in body["models"]] == ["1.775", "0.555"]
    body = valid(client.get(PATH, {"models": f"{R1},{LLAMA}", "basis": "provider:together,provider:deepinfra"}), PATH)
    assert [(m["provider"], m["input"]) for m in body["models"]] == [("together", "3"), ("deepinfra", "0.23")]


def test_any_mix_changes_the_blended_ratio(client, built, valid):
    body = valid(client.get(PATH, {"models": f"{O1},{R1}", "basis": "first-party", "mix": "1:0"}), PATH)
    assert body["pairs"][0]["mix"] == body["pairs"][0]["input"] == "27.27"


def test_a_model_without_a_price_at_the_basis_has_null_ratios(client, built, valid):
    body = valid(client.get(PATH, {"models": f"{O1},{LLAMA}", "basis": "first-party"}), PATH)
    assert body["models"][1]["input"] is None and body["pairs"][0]["input"] is None


@pytest.mark.parametrize("params", [
    {"models": f"{O1},{R1}", "basis": "dearest"},
    {"models": f"{O1},{R1}", "basis": "cheapest,median,median"},
    {"models": ""},
    {"models": ",".join(f"a/m{i}" for i in range(13))},
    {},
])
def test_bad_comparisons_are_a_400(client, built, valid, params):
    assert valid(client.get(PATH, params), PATH, 400)["error"]["code"] == "bad_parameter"


def test_an_unknown_model_is_a_404(client, built, valid):
    body = valid(client.get(PATH, {"models": f"{O1},nobody/nothing"}), PATH, 404)
    assert "nobody/nothing" in body["error"]["message"]


def test_compare_runs_a_fixed_number_of_queries(client, built, django_assert_num_queries):
    # The models, their offers, their benchmark scores, and the newest run and change for Last-Modified.
    with django_assert_num_queries(5):
        response = client.get(PATH, {"models": f"{O1},{R1},{LLAMA}"})
    assert response["Last-Modified"]


def test_two_models_are_also_compared_host_by_host(client, built, valid):
    from tests.api.market import NOW, q, sweep

    sweep(built["api"], NOW, [q("together", LLAMA, "0.88", "0.88", provider_name="Together AI", quantization="fp8")])
    body = valid(client.get(PATH, {"models": f"{R1},{LLAMA}"}), PATH)
    assert body["hosts"] == [{
        "provider": "together", "provider_name": "Together AI", "provider_kind": "host",
        "a": {"variant": "", "quantization": "fp8", "input": "3", "output": "7", "mix": "4"},
        "b": {"variant": "", "quantization": "fp8", "input": "0.88", "output": "0.88", "mix": "0.88"},
        "input": "3.41", "output": "7.95", "mix": "4.55",
    }]
    # Three models: no pairwise host table (the pairs above stay the cross-host comparison).
    assert valid(client.get(PATH, {"models": f"{O1},{R1},{LLAMA}"}), PATH)["hosts"] == []
