"""The bundled snapshot (pricing/snapshot/snapshot.json) read as plain JSON, without Django.

The loader trusts this file; these tests are what make it trustworthy: every price is a
non-negative Decimal string, every reference resolves, no observation is listed twice, and the
headline facts the dashboard opens with (o1 against R1 at launch) are what the sources say.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).resolve().parents[2] / "pricing" / "snapshot" / "snapshot.json"
# "quality": the models of the benchmark tables, their prices and the scores (tests/quality).
TOP_KEYS = {"generated", "sources", "providers", "models", "listings", "observations", "quality"}
QUANTIZATIONS = {"int4", "int8", "fp4", "mxfp4", "nvfp4", "fp6", "fp8", "mxfp8", "fp16", "bf16", "fp32", "unknown"}
OBS_KEYS = {
    "source",
    "at",
    "provider",
    "model",
    "provider_model_id",
    "variant",
    "input",
    "output",
    "cached_input",
    "quantization",
    "context_length",
    "ttft_ms",
    "tps",
    "cite",
}
PRICE_FIELDS = ("input", "output", "cached_input")
MAX_PER_MILLION = Decimal("5000")  # providers.units.MAX_PER_MILLION, kept here so this stays import-free


@pytest.fixture(scope="module")
def snapshot() -> dict:
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"), parse_float=Decimal)


def money(value) -> Decimal:
    assert isinstance(value, str), f"money must be a string, got {value!r}"
    try:
        result = Decimal(value)
    except InvalidOperation:
        pytest.fail(f"not a number: {value!r}")
    assert result.is_finite()
    return result


def instant(text: str) -> datetime:
    assert text.endswith("Z"), text
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert parsed.utcoffset().total_seconds() == 0
    return parsed.astimezone(UTC)


def find(snapshot, **match) -> list[dict]:
    return [o for o in snapshot["observations"] if all(o[k] == v for k, v in match.items())]


def test_the_file_has_exactly_the_documented_keys(snapshot):
    assert set(snapshot) == TOP_KEYS
    datetime.strptime(snapshot["generated"], "%Y-%m-%d")
    for obs in snapshot["observations"]:
        assert set(obs) - {"discount"} == OBS_KEYS, obs  # "discount": optional, where the source states one
    for source in snapshot["sources"]:
        assert set(source) == {"slug", "name", "kind", "url"}
        assert source["kind"] in {"api", "aggregator", "curated", "probe"}
    for provider in snapshot["providers"]:
        assert set(provider) >= {"slug", "name", "website", "kind"}
        assert provider["kind"] in {"lab", "host", "aggregator"}


def test_slugs_are_unique_within_each_list(snapshot):
    for name in ("sources", "providers", "models"):
        counts = Counter(item["slug"] for item in snapshot[name])
        assert [slug for slug, n in counts.items() if n > 1] == [], name


def test_every_price_is_a_non_negative_decimal_string_in_band(snapshot):
    for obs in snapshot["observations"]:
        assert obs["input"] is not None and obs["output"] is not None, obs
        for field in PRICE_FIELDS:
            if obs[field] is None:
                continue
            value = money(obs[field])
            assert Decimal(0) <= value <= MAX_PER_MILLION, (field, obs)


def test_latency_throughput_and_context_are_positive_when_given(snapshot):
    for obs in snapshot["observations"]:
        for field in ("ttft_ms", "tps"):
            if obs[field] is not None:
                assert money(obs[field]) > 0, (field, obs)
        assert obs["context_length"] is None or (isinstance(obs["context_length"], int) and obs["context_length"] > 0)


def test_every_reference_resolves(snapshot):
    sources = {s["slug"] for s in snapshot["sources"]}
    providers = {p["slug"] for p in snapshot["providers"]}
    models = {m["slug"] for m in snapshot["models"]}
    for obs in snapshot["observations"]:
        assert obs["source"] in sources, obs
        assert obs["provider"] in providers, obs
        assert obs["model"] in models, obs
        assert obs["provider_model_id"], obs
        assert obs["cite"].strip(), obs
    for model in snapshot["models"]:
        assert model["author"] in providers, model
        assert model["slug"] in {o["model"] for o in snapshot["observations"]}, f"{model['slug']} has no price"


def test_no_observation_is_listed_twice(snapshot):
    keys = Counter(
        (o["source"], o["provider"], o["model"], o["variant"], instant(o["at"])) for o in snapshot["observations"]
    )
    assert [key for key, n in keys.items() if n > 1] == []


def test_it_is_a_small_real_dataset_of_a_hundred_to_two_hundred_odd_prices(snapshot):
    assert 100 <= len(snapshot["observations"]) <= 250
    used = Counter(o["source"] for o in snapshot["observations"])
    assert {"openrouter", "llm-prices", "genai-prices", "litellm", "deepseek-docs"} <= set(used)


def test_model_facts_are_true(snapshot):
    models = {m["slug"]: m for m in snapshot["models"]}
    for slug in ("deepseek/deepseek-r1", "deepseek/deepseek-chat"):
        assert (models[slug]["params_total_b"], models[slug]["params_active_b"]) == ("671", "37")
        assert models[slug]["open_weights"] is True
    assert models["deepseek/deepseek-r1"]["licence"] == "MIT"
    assert models["deepseek/deepseek-r1"]["release_date"] == "2025-01-20"
    assert models["meta-llama/llama-3.1-405b-instruct"]["params_total_b"] == "405"
    assert models["meta-llama/llama-3.1-70b-instruct"]["params_total_b"] == "70"
    assert models["meta-llama/llama-3.3-70b-instruct"]["params_total_b"] == "70"
    assert models["qwen/qwen-2.5-72b-instruct"]["params_total_b"] == "72"
    for slug in ("openai/o1", "openai/gpt-4o", "anthropic/claude-3.5-sonnet"):
        assert models[slug]["open_weights"] is False
        assert models[slug]["params_total_b"] is None and models[slug]["params_active_b"] is None
    for model in models.values():
        datetime.strptime(model["release_date"], "%Y-%m-%d")
        for field in ("params_total_b", "params_active_b"):
            assert model[field] is None or money(model[field]) > 0


def test_o1_and_r1_launch_prices_give_the_27x_ratio(snapshot):
    (o1,) = find(snapshot, provider="openai", model="openai/o1", at="2024-12-17T00:00:00Z")
    assert (money(o1["input"]), money(o1["output"]), money(o1["cached_input"])) == (
        Decimal("15"),
        Decimal("60"),
        Decimal("7.5"),
    )
    r1_launch = find(snapshot, provider="deepseek", model="deepseek/deepseek-r1", at="2025-01-20T00:00:00Z")
    assert {o["provider_model_id"] for o in r1_launch} == {"deepseek-reasoner"}
    with_cache = [o for o in r1_launch if o["cached_input"] is not None]
    assert len(with_cache) == 1
    r1 = with_cache[0]
    assert (money(r1["input"]), money(r1["output"]), money(r1["cached_input"])) == (
        Decimal("0.55"),
        Decimal("2.19"),
        Decimal("0.14"),
    )
    cent = Decimal("0.01")
    assert (money(o1["input"]) / money(r1["input"])).quantize(cent) == Decimal("27.27")
    assert (money(o1["output"]) / money(r1["output"])).quantize(cent) == Decimal("27.40")


def test_deepseek_v3_first_party_price_rose_on_2025_02_08(snapshot):
    history = sorted(
        find(snapshot, source="deepseek-docs", provider="deepseek", model="deepseek/deepseek-chat"),
        key=lambda o: o["at"],
    )
    assert [(o["at"][:10], money(o["input"]), money(o["output"])) for o in history] == [
        ("2024-12-26", Decimal("0.14"), Decimal("0.28")),
        ("2025-02-08", Decimal("0.27"), Decimal("1.10")),
    ]


def test_openrouter_per_provider_captures_carry_latency_and_throughput(snapshot):
    for day in ("2025-06-27", "2026-08-08"):
        rows = [o for o in find(snapshot, source="openrouter") if o["at"].startswith(day)]
        hosts = {o["provider"] for o in rows}
        assert len(hosts) >= 8 and "openrouter" not in hosts, day
        timed = [o for o in rows if o["ttft_ms"] is not None and o["tps"] is not None]
        assert len(timed) >= len(rows) * 0.8, day
    (groq,) = find(
        snapshot,
        source="openrouter",
        provider="groq",
        model="meta-llama/llama-3.3-70b-instruct",
        at="2025-06-27T00:00:00Z",
    )
    assert (money(groq["ttft_ms"]), money(groq["tps"])) == (Decimal("175"), Decimal("411.184"))


def test_deepinfra_two_r1_endpoints_are_two_variants(snapshot):
    rows = find(
        snapshot, source="openrouter", provider="deepinfra", model="deepseek/deepseek-r1", at="2025-06-27T00:00:00Z"
    )
    assert {(o["variant"], o["input"], o["output"]) for o in rows} == {("", "0.45", "2.15"), ("turbo", "1", "3")}


def test_a_quantization_is_an_attribute_never_a_variant(snapshot):
    # One endpoint is one offer over time: "crusoe" (2025) and "crusoe/bf16" (2026) are one offer.
    assert [o for o in snapshot["observations"] if o["variant"] in QUANTIZATIONS] == []
    crusoe = find(snapshot, source="openrouter", provider="crusoe", model="meta-llama/llama-3.3-70b-instruct")
    assert {(o["variant"], o["quantization"], o["at"][:10]) for o in crusoe} == {
        ("", "", "2025-06-27"), ("", "bf16", "2026-08-08")}


def test_declared_complete_listings_list_every_endpoint_of_their_models(snapshot):
    models = {m["slug"] for m in snapshot["models"]}
    groups = {(o["source"], o["at"]) for o in snapshot["observations"]}
    for listing in snapshot["listings"]:
        assert set(listing) == {"source", "at", "complete_for", "cite"}
        assert (listing["source"], listing["at"]) in groups and listing["cite"]
        assert set(listing["complete_for"]) <= models
    llama = [o for o in find(snapshot, source="openrouter", at="2026-08-08T00:00:00Z")
             if o["model"] == "meta-llama/llama-3.3-70b-instruct"]
    assert len(llama) == 13  # the capture's 13 endpoints


def test_the_key_models_are_offered_by_several_hosts(snapshot):
    def hosts(model: str) -> set[str]:
        return {o["provider"] for o in find(snapshot, model=model)} - {"openrouter"}

    for model in ("deepseek/deepseek-r1", "deepseek/deepseek-chat"):
        assert "deepseek" in hosts(model) and len(hosts(model)) >= 5
    for model in (
        "meta-llama/llama-3.1-405b-instruct",
        "meta-llama/llama-3.1-70b-instruct",
        "meta-llama/llama-3.3-70b-instruct",
    ):
        assert len(hosts(model)) >= 4, model
    assert len(hosts("qwen/qwen-2.5-72b-instruct")) >= 3
    assert {"openrouter"} < {o["provider"] for o in find(snapshot, model="openai/o1")}
