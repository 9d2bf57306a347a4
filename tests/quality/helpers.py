"""Shared by the quality tests: the six models of the R1 table and score files written to disk."""

from __future__ import annotations

import csv
from pathlib import Path

REFERENCE = Path("/work/shared/reference/benchmarks/deepseek-r1-readme-2025-01.csv")
CLAUDE, GPT4O, V3 = "anthropic/claude-3.5-sonnet", "openai/gpt-4o", "deepseek/deepseek-chat"
O1_MINI, O1, R1 = "openai/o1-mini", "openai/o1", "deepseek/deepseek-r1"
SIX = [CLAUDE, GPT4O, V3, O1_MINI, O1, R1]
HEADER = ["benchmark", "metric", "model", "score", "evaluator", "citation", "settings", "date", "higher_is_better"]
CITE = "https://example.org/evals/2025-06.html"


def write_csv(path: Path, rows: list[dict], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({"evaluator": "Our lab", "citation": CITE, "settings": "", "date": "2025-06-01",
                             "higher_is_better": "", **row})
    return path


def mkmodels():
    """The catalogue rows the score files refer to (no prices needed to score)."""
    from pricing.models import Model, Provider

    labs = {slug: Provider.objects.get_or_create(slug=slug, defaults={"name": name, "kind": "lab"})[0]
            for slug, name in (("openai", "OpenAI"), ("deepseek", "DeepSeek"), ("anthropic", "Anthropic"))}
    out = {}
    for slug in SIX:
        author = slug.split("/")[0]
        out[slug] = Model.objects.get_or_create(slug=slug, defaults={"name": slug.split("/")[1], "author": author,
                                                                     "first_party": labs[author]})[0]
    return out
