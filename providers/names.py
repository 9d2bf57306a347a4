"""One spelling per provider across sources.

OpenRouter tags (``deepinfra/fp8``), Hugging Face router names (``fireworks-ai``) and curated
datasets (``together_ai``) all name the same companies differently; offers only line up across
sources if every collector maps them to the same slug here.
"""

from __future__ import annotations

import re

ALIASES: dict[str, str] = {
    "fireworks-ai": "fireworks",
    "fireworks_ai": "fireworks",
    "together-ai": "together",
    "together_ai": "together",
    "togetherai": "together",
    "novita-ai": "novita",
    "novitaai": "novita",
    "hf-inference": "huggingface",
    "nebius-ai-studio": "nebius",
    "nebiusai": "nebius",
    "sambanova-turbo": "sambanova",
    "google-vertex": "google-vertex",
    "inference-net": "inferencenet",
    "inference.net": "inferencenet",
    "deep-infra": "deepinfra",
    "lambda-labs": "lambda",
    "lambdalabs": "lambda",
    "moonshot-ai": "moonshotai",
    "meta-llama": "meta",
    "mistral-ai": "mistral",
    "mistralai": "mistral",
    "x-ai": "xai",
}


def provider_slug(name: str) -> str:
    """Normalise a provider name or routing tag head to Ratecard's slug (lowercase, dashes)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    return ALIASES.get(slug, ALIASES.get(name.strip().lower(), slug))


def split_tag(tag: str) -> tuple[str, str]:
    """OpenRouter endpoint tag -> (provider slug, variant): ``deepinfra/fp8`` -> (deepinfra, fp8)."""
    head, _, rest = tag.partition("/")
    return provider_slug(head), rest.strip().lower()
