"""Read side: what pages, the API, feeds and alerts show. They build no SQL of their own.

- ``base``: the user's-bad-parameter error, the token mix and the blend.
- ``offers``: offers as shown (current, stale, ended), the reference price of a model.
- ``filters``, ``cost``: the offer filters and the workload cost, from query parameters.
- ``freshness``: per source, its last fresh run and whether it is stale (one definition).
- ``timeline``: point-in-time rows swept in memory (ratio history, last known prices).
- ``home``, ``model_page``, ``provider_page``, ``index``, ``pages``: reads one page needs.
- ``api``: pages of models, providers, history, changes and runs for the JSON API.
"""

from __future__ import annotations

from pricing.queries.base import (
    DEFAULT_MIX,
    EARLIEST,
    LATEST,
    MAX_ID,
    QueryError,
    blended,
    check_instant,
    parse_flag,
    parse_id,
    parse_mix,
)
from pricing.queries.cost import Workload
from pricing.queries.filters import OfferFilter
from pricing.queries.offers import (
    BASES,
    OfferRow,
    Reference,
    _attach_perf,
    _row,
    check_basis,
    comparable,
    disagreements,
    offers_for_model,
    offers_for_models,
    reference,
)

__all__ = [
    "BASES",
    "DEFAULT_MIX",
    "EARLIEST",
    "LATEST",
    "MAX_ID",
    "check_instant",
    "parse_id",
    "OfferFilter",
    "OfferRow",
    "QueryError",
    "Reference",
    "Workload",
    "_attach_perf",
    "_row",
    "blended",
    "check_basis",
    "comparable",
    "disagreements",
    "offers_for_model",
    "offers_for_models",
    "parse_flag",
    "parse_mix",
    "reference",
]
