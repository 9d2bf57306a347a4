from pricing.models.catalog import Model, ModelAlias, Offer, Provider, Source
from pricing.models.history import ChangeEvent, PendingPrice, PerfRollup, PerfSample, PricePeriod
from pricing.models.runs import CollectionRun, HeldQuote, QuoteRejection, RawPayload, RunPayload

__all__ = [
    "ChangeEvent",
    "CollectionRun",
    "HeldQuote",
    "Model",
    "ModelAlias",
    "Offer",
    "PendingPrice",
    "PerfRollup",
    "PerfSample",
    "PricePeriod",
    "Provider",
    "QuoteRejection",
    "RawPayload",
    "RunPayload",
    "Source",
]
