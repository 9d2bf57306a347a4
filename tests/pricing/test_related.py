"""Related models come from slugs and Hugging Face ids, not a hand-kept list."""

from __future__ import annotations

import pytest

from pricing.models import Model
from pricing.related import compare_pair, related_models

pytestmark = pytest.mark.django_db


def make(slug: str, hf: str = "") -> Model:
    return Model.objects.create(slug=slug, name=slug.split("/")[1], author=slug.split("/")[0], hf_id=hf)


def kinds(model: Model) -> list[tuple[str, str]]:
    return [(r.model.slug, r.kind) for r in related_models(model)]


def test_dated_releases_are_versions_of_one_line():
    r1, r1_0528 = make("deepseek/deepseek-r1"), make("deepseek/deepseek-r1-0528")
    v3 = make("deepseek/deepseek-chat", "deepseek-ai/DeepSeek-V3")
    v3_0324 = make("deepseek/deepseek-chat-v3-0324", "deepseek-ai/DeepSeek-V3-0324")
    assert kinds(r1) == [("deepseek/deepseek-r1-0528", "version")]
    assert kinds(r1_0528) == [("deepseek/deepseek-r1", "version")]
    assert kinds(v3) == [("deepseek/deepseek-chat-v3-0324", "version")]
    assert kinds(v3_0324) == [("deepseek/deepseek-chat", "version")]


def test_sizes_and_generations_of_a_family():
    big = make("meta-llama/llama-3.1-405b-instruct")
    mid = make("meta-llama/llama-3.1-70b-instruct")
    make("meta-llama/llama-3.3-70b-instruct")
    make("meta-llama/llama-guard-3-8b")
    make("other/llama-3.1-70b-instruct")  # another author's fine-tune is not the family
    assert kinds(big) == [("meta-llama/llama-3.1-70b-instruct", "size")]
    assert kinds(mid) == [("meta-llama/llama-3.1-405b-instruct", "size"),
                          ("meta-llama/llama-3.3-70b-instruct", "generation")]


def test_the_compare_partner_is_the_headline_rival_else_the_closest_relative():
    r1, o1 = make("deepseek/deepseek-r1"), make("openai/o1")
    r1_0528 = make("deepseek/deepseek-r1-0528")
    assert compare_pair(r1, related_models(r1)) == (o1, r1)
    assert compare_pair(r1_0528, related_models(r1_0528)) == (r1, r1_0528)
    assert compare_pair(make("lone/model"), []) is None
