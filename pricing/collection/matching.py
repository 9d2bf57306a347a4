"""Map each source's own model id to one canonical model.

Order of evidence: an alias a person (or the snapshot) recorded for this source or for every
source; OpenRouter's slug itself; the Hugging Face id that OpenRouter's catalogue bridges to.
Anything else is kept as an unmatched alias for a person to map in the admin; never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F

from pricing.models import Model, ModelAlias


@dataclass
class Matcher:
    source: str
    by_alias: dict[tuple[str, str], int | None] = field(default_factory=dict)
    by_slug: dict[str, int] = field(default_factory=dict)
    by_hf: dict[str, int] = field(default_factory=dict)
    unmatched: dict[str, int] = field(default_factory=dict)
    # Matches already made in this run (a sweep names each model once per host).
    memo: dict[tuple[str, str, str], int] = field(default_factory=dict)

    @classmethod
    def load(cls, source: str) -> Matcher:
        matcher = cls(source=source)
        for src, alias, model_id in ModelAlias.objects.filter(source__in=[source, "*"]).values_list(
            "source", "alias", "model_id"
        ):
            matcher.by_alias[(src, alias.lower())] = model_id
        for model_id, slug, hf_id in Model.objects.values_list("id", "slug", "hf_id"):
            matcher.by_slug[slug.lower()] = model_id
            if hf_id:
                matcher.by_hf.setdefault(hf_id.lower(), model_id)
        return matcher

    def match(self, provider_model_id: str, canonical_hint: str = "", hf_id: str = "", *,
              record: bool = True) -> int | None:
        """The model a source's id names, or None (counted as unmatched unless ``record`` is False)."""
        memo_key = (provider_model_id, canonical_hint, hf_id)
        model_id = self.memo.get(memo_key)
        if model_id is None:
            model_id = self._match(provider_model_id, canonical_hint, hf_id, record=record)
            if model_id is not None:
                self.memo[memo_key] = model_id
        return model_id

    def _match(self, provider_model_id: str, canonical_hint: str, hf_id: str, *, record: bool = True) -> int | None:
        key = provider_model_id.lower()
        for src in (self.source, "*"):
            model_id = self.by_alias.get((src, key))
            if model_id:
                return model_id
        for candidate in (canonical_hint.lower(), key):
            if candidate and candidate in self.by_slug:
                return self.by_slug[candidate]
        for candidate in (hf_id.lower(), key):
            if candidate and candidate in self.by_hf:
                return self.by_hf[candidate]
        if record:
            self.unmatched[provider_model_id] = self.unmatched.get(provider_model_id, 0) + 1
        return None

    def add_model(self, model: Model) -> None:
        self.memo.clear()
        self.by_slug[model.slug.lower()] = model.id
        if model.hf_id:
            self.by_hf.setdefault(model.hf_id.lower(), model.id)

    def record_unmatched(self, at: datetime) -> int:
        """Keep every id we could not map, with when and how often it was seen."""
        if not self.unmatched:
            return 0
        existing = set(
            ModelAlias.objects.filter(source=self.source, alias__in=list(self.unmatched)).values_list("alias", flat=True)
        )
        ModelAlias.objects.bulk_create(
            [
                ModelAlias(source=self.source, alias=alias, model=None, first_seen=at, last_seen=at, n_seen=n)
                for alias, n in self.unmatched.items()
                if alias not in existing
            ],
            ignore_conflicts=True,
        )
        if existing:
            ModelAlias.objects.filter(source=self.source, alias__in=existing).update(
                last_seen=at, n_seen=F("n_seen") + 1
            )
        return len(self.unmatched)
