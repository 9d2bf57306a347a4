"""Step 0 of ingestion: the quotes that restate their offer's open price, settled first.

The usual sweep changes almost nothing. So before any guard, matching or Decimal work, the source's
open periods are read once, keyed by what a quote itself carries (provider slug, the source's own
id, variant), and an undated quote is settled at once ("seen again", ``last_seen`` moves) when

- its prices are Decimals (or None) whose fingerprint equals its open period's ``state_hash``: the
  stored price passed the price guards when it was stored, and an equal fingerprint means equal
  values and kind (a NaN, an infinity, a negative, an out-of-band or an over-precise price never
  equals a stored one);
- its id and provider equal the period's (they passed the id guards when it was stored), and its
  canonical hint, if any, passes the id guard;
- the matcher still maps it to the period's model (an alias remapped by a person goes the full way);
- it is the first quote of its offer in the listing (see :func:`resolve`).

Everything else (new offers, changed prices, dated quotes, duplicates, anything odd) goes through
the full path: guards, matching, catalogue, ``periods.decide``. Attribute changes (quantization,
context, status) of a settled quote are still found (``known_attrs``), and every settled offer
counts as seen for the removal rule and the "lost more than half" guard.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from pricing.collection.ingest.catalog import ATTRIBUTES, KnownAttributes, OfferKey
from pricing.collection.ingest.guards import PRICE_KINDS, IdCheck, rejection
from pricing.collection.ingest.periods import Fingerprints, OpenPeriod
from pricing.collection.matching import Matcher
from pricing.models import CollectionRun, PricePeriod, Provider, QuoteRejection, Source
from providers.base import Quote

# An OpenPeriod's fields in its row tuple.
ID, OFFER_ID, N_MISSED, STATE_HASH, PROVIDER_ID, VARIANT, MODEL_ID = map(
    OpenPeriod._fields.index, ("id", "offer_id", "n_missed", "state_hash", "provider_id", "variant", "model_id"))
ATTRIBUTES_AT = slice(OpenPeriod._fields.index(ATTRIBUTES[0]), OpenPeriod._fields.index(ATTRIBUTES[-1]) + 1)
DUPLICATE = "a second quote for the same offer in one run; the first was kept"


class OpenPeriods(Mapping[int, OpenPeriod]):
    """The source's open periods by offer id. Kept as the plain row tuples the database returns (the
    garbage collector stops tracking a plain tuple of ints and strings; 50,000 named tuples would
    keep it busy for a tenth of a second a sweep); a period is named when it is looked at."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple] = {}

    def __getitem__(self, offer_id: int) -> OpenPeriod:
        return OpenPeriod._make(self.rows[offer_id])

    def __contains__(self, offer_id: object) -> bool:
        return offer_id in self.rows

    def __iter__(self) -> Iterator[int]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def ids(self) -> list[int]:
        return [row[ID] for row in self.rows.values()]

    def seen_again(self, offer_ids: Iterable[int]) -> tuple[list[int], list[int]]:
        """The ids of these offers' periods, and of those among them that had missed runs."""
        rows = [self.rows[offer_id] for offer_id in offer_ids]
        return [row[ID] for row in rows], [row[ID] for row in rows if row[N_MISSED]]

    def missing(self, seen: Container[int], in_scope: frozenset[int] | None) -> list[OpenPeriod]:
        """The periods of the offers not in ``seen`` (and in ``in_scope``, if given)."""
        return [OpenPeriod._make(row) for offer_id, row in self.rows.items()
                if offer_id not in seen and (in_scope is None or row[ID] in in_scope)]


@dataclass
class OpenTable:
    """The source's open periods by offer id, and by what a quote carries: provider slug, then the
    source's id, followed by ``NUL`` and the variant for a variant. Strings, not tuples: 50,000 keys
    kept for a sweep are no work for the garbage collector. A lookup checks the period's variant
    (an id may contain NUL)."""

    by_offer: OpenPeriods = field(default_factory=OpenPeriods)
    by_quote: dict[str, dict[str, tuple]] = field(default_factory=dict)  # rows of ``by_offer``
    providers: dict[str, int] = field(default_factory=dict)  # every provider's id by slug

    def of_keys(self, keys: Iterable[OfferKey]) -> dict[OfferKey, OpenPeriod]:
        """The open periods of the offers with these keys (few: the full path's), in one scan
        (a third dict of every open period costs more than it saves)."""
        wanted = set(keys)
        if not wanted:
            return {}
        found: dict[OfferKey, OpenPeriod] = {}
        for row in self.by_offer.rows.values():
            key = (row[PROVIDER_ID], row[MODEL_ID], row[VARIANT])
            if key in wanted:
                found[key] = OpenPeriod._make(row)
        return found  # keyed by plain tuples, equal to (and hashed as) OfferKeys


@dataclass
class Settled:
    """The quotes settled by the first pass, by offer id, and the rest for the full path (in
    listing order). Listing positions are kept to tell which quote of an offer came first."""

    quotes: dict[int, Quote] = field(default_factory=dict)
    at: dict[int, int] = field(default_factory=dict)  # offer id -> listing position of its settled quote
    rest: list[Quote] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)  # id(quote) -> listing position, for the rest

    def unsettle(self, offer_id: int) -> Quote:
        del self.at[offer_id]
        return self.quotes.pop(offer_id)

    def in_listing_order(self, valid: list[Quote]) -> list[Quote]:
        """The settled quotes and the rest's ``valid`` ones (positions followed by ``guards.screen``)."""
        mixed = [*((self.at[o], q) for o, q in self.quotes.items()), *((self.positions[id(q)], q) for q in valid)]
        mixed.sort(key=lambda item: item[0])
        return [q for _, q in mixed]

    def last_quotes(self, keyed: dict[OfferKey, list[Quote]], offer_ids: dict[OfferKey, int],
                    wanted: dict[int, KnownAttributes]) -> list[tuple[int, Quote]]:
        """(offer id, its last quote) of the offers in ``wanted``, settled or not, in listing order."""
        found = [(self.at[offer_id], offer_id, self.quotes[offer_id]) for offer_id in wanted
                 if offer_id in self.quotes]
        found += [(min(self.positions[id(q)] for q in group), offer_ids[key], group[-1])
                  for key, group in keyed.items() if offer_ids[key] in wanted]
        found.sort(key=lambda item: item[0])
        return [(offer_id, quote) for _, offer_id, quote in found]


def read_open(source: Source) -> OpenTable:
    table = OpenTable(providers=dict(Provider.objects.values_list("slug", "id")))
    by_offer = table.by_offer.rows
    by_provider: dict[int, dict[str, tuple]] = {}
    rows = PricePeriod.objects.filter(source=source, valid_to__isnull=True).values_list(
        "id", "offer_id", "n_missed", "state_hash", "offer__provider_id", "provider_model_id", "offer__variant",
        "offer__model_id", *(f"offer__{name}" for name in ATTRIBUTES), "offer__current_period_id",
    )
    for row in rows:  # in OpenPeriod's field order
        by_offer[row[1]] = row
        inner = by_provider.get(row[4])
        if inner is None:
            inner = by_provider[row[4]] = {}
        inner[f"{row[5]}\x00{row[6]}" if row[6] else row[5]] = row  # see OpenTable
    table.by_quote = {slug: by_provider[pid] for slug, pid in table.providers.items() if pid in by_provider}
    return table


def settle_first(quotes: list[Quote], table: OpenTable, matcher: Matcher, source_slug: str,
                 fingerprints: Fingerprints, known_attrs: dict[int, KnownAttributes]) -> Settled:
    """The first pass over a run's quotes (see the module docstring)."""
    settled = Settled()
    settled_quotes, settled_at, rest, positions = settled.quotes, settled.at, settled.rest, settled.positions
    by_provider, memo, kinds = table.by_quote.get, matcher.memo, PRICE_KINDS
    texts: dict[str, str | None] = {}  # the prices as text -> their fingerprint
    ids = IdCheck(source_slug)
    decimal = Decimal
    for position, quote in enumerate(quotes):
        inner, variant = by_provider(quote.provider), quote.variant
        row = inner and inner.get(f"{quote.provider_model_id}\x00{variant}" if variant else quote.provider_model_id)
        i, o, c, w, r, p = quote.input, quote.output, quote.cached_input, quote.cache_write, quote.reasoning, \
            quote.per_request
        kind = getattr(quote.price_kind, "_value_", None)
        if (
            row and row[VARIANT] == variant and quote.valid_from is None and row[OFFER_ID] not in settled_quotes
            # A float or an int equals (and hashes as) the Decimal of the same value: only Decimals pass.
            and (i is None or i.__class__ is decimal) and (o is None or o.__class__ is decimal)
            and (c is None or c.__class__ is decimal) and (w is None or w.__class__ is decimal)
            and (r is None or r.__class__ is decimal) and (p is None or p.__class__ is decimal) and kind in kinds
            # Keyed by text: hashing a tuple of fresh Decimals costs three times as much.
            and (texts.get(text := f"{i!s}|{o!s}|{c!s}|{w!s}|{r!s}|{p!s}|{kind}")
                 or _fingerprint(texts, text, (i, o, c, w, r, p, kind), fingerprints)) == row[STATE_HASH]
            and (not quote.canonical_hint or not ids.problem(quote))
            and (memo.get((quote.provider_model_id, quote.canonical_hint, quote.hf_id)) or matcher.match(
                quote.provider_model_id, quote.canonical_hint, quote.hf_id, record=False)) == row[MODEL_ID]
        ):
            settled_quotes[row[OFFER_ID]] = quote
            settled_at[row[OFFER_ID]] = position
            if (quote.quantization, quote.context_length, quote.status) != row[ATTRIBUTES_AT]:
                known_attrs[row[OFFER_ID]] = OpenPeriod._make(row).known_attributes()
        else:
            rest.append(quote)
            positions[id(quote)] = position
    return settled


def _fingerprint(texts: dict[str, str | None], text: str, state: tuple, fingerprints: Fingerprints) -> str | None:
    """The fingerprint of a state first met as ``text``, or None for one no stored price can have
    (a signalling NaN)."""
    try:
        digest = fingerprints.of(state)
    except (TypeError, ArithmeticError):
        digest = None
    texts[text] = digest
    return digest


def resolve(settled: Settled, keyed: dict[OfferKey, list[Quote]], open_of_keyed: dict[OfferKey, OpenPeriod],
            run: CollectionRun) -> list[QuoteRejection]:
    """An offer quoted more than once in a run keeps its first quote in listing order (as
    ``catalog.group_by_offer`` does): a settled quote and the full path's group of the same offer
    are told apart here. Returns the rejections of the quotes that lost."""
    rejections: list[QuoteRejection] = []
    if not settled.quotes:
        return rejections
    for key, period in open_of_keyed.items():
        offer_id = period.offer_id
        if offer_id not in settled.quotes:
            continue
        group = keyed[key]
        if settled.at[offer_id] < min(settled.positions[id(q)] for q in group):
            rejections.extend(rejection(run, q, DUPLICATE) for q in group)
            del keyed[key]
        else:
            rejections.append(rejection(run, settled.unsettle(offer_id), DUPLICATE))
    return rejections
