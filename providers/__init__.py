"""Collectors: plain Python, no Django. Each module fetches, parses and normalises one source.

The registry maps a source slug to its collector class. ``pricing`` looks collectors up here and
never parses a provider's JSON itself.
"""

from __future__ import annotations

import importlib
import os

from providers.base import Collector

# slug -> "module:Class"; imported lazily so a broken collector cannot stop the others.
REGISTRY: dict[str, str] = {
    "openrouter": "providers.openrouter:OpenRouterCollector",
    "huggingface": "providers.huggingface:HuggingFaceCollector",
    "chutes": "providers.chutes:ChutesCollector",
    "together": "providers.together:TogetherCollector",
    "deepinfra": "providers.deepinfra:DeepInfraCollector",
    "novita": "providers.novita:NovitaCollector",
    "llm-prices": "providers.curated:LlmPricesCollector",
    "genai-prices": "providers.curated:GenaiPricesCollector",
}


def base_url_env(slug: str) -> str:
    return f"RATECARD_{slug.upper().replace('-', '_')}_BASE_URL"


def get_collector(slug: str) -> Collector:
    """The collector for a source. ``RATECARD_<SLUG>_BASE_URL`` points it elsewhere (a mirror,
    a caching proxy, or a local test server)."""
    try:
        target = REGISTRY[slug]
    except KeyError:
        raise KeyError(f"unknown source {slug!r}; known: {', '.join(sorted(REGISTRY))}") from None
    module_name, _, class_name = target.partition(":")
    module = importlib.import_module(module_name)
    base_url = os.environ.get(base_url_env(slug))
    cls = getattr(module, class_name)
    return cls(base_url=base_url) if base_url else cls()


def available() -> list[str]:
    return list(REGISTRY)
