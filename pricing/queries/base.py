"""What every read shares: the error for a user's bad parameter, the token mix and the blend."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain

DEFAULT_MIX = (3, 1)


class QueryError(ValueError):
    """A bad parameter from a user (an unknown basis, a malformed mix): a 400, never a 500."""


# ASCII digits only: str.isdigit() and \d also accept "²" or "٣", which int() then refuses or reads.
_MIX = re.compile(r"\s*([0-9]{1,7})\s*:\s*([0-9]{1,7})\s*", re.ASCII)
MAX_MIX = 1_000_000


def parse_mix(text: str | None) -> tuple[int, int]:
    """``"3:1"`` -> (3, 1): input tokens to output tokens."""
    if not text:
        return DEFAULT_MIX
    match = _MIX.fullmatch(text)
    if match is None:
        raise QueryError(f"mix must look like 3:1 (input:output tokens, digits 0-9), not {text[:20]!r}")
    a, b = int(match[1]), int(match[2])
    if a + b == 0 or a > MAX_MIX or b > MAX_MIX:
        raise QueryError(f"mix needs at least one non-zero side, each at most {MAX_MIX}")
    return a, b


# The largest id a database column holds (a signed 64-bit bigint): an id beyond it names nothing,
# and SQLite raises OverflowError rather than finding nothing.
MAX_ID = 2**63 - 1


def parse_id(value: object, name: str = "id") -> int:
    """A row id from a user: ASCII digits, 1 to MAX_ID."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_ID:
        raise QueryError(f"{name} must be a whole number from 1 to {MAX_ID}, not {text[:24]!r}")
    return int(text)


# Every instant a user names lies in this range: beyond it a datetime only tests the database's
# range (SQLite cannot hold 9999-12-31T23:59:59-14:00 in UTC) and no price could be found anyway.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC)


def check_instant(value: datetime, name: str = "as_of") -> datetime:
    """An aware datetime in UTC within [EARLIEST, LATEST], or a QueryError naming the parameter."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise QueryError(f"{name} is out of range ({EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d})") from None
    if not EARLIEST <= value <= LATEST:
        raise QueryError(f"{name} is out of range ({EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d})")
    return value


def blended(input: Decimal | None, output: Decimal | None, mix: tuple[int, int] = DEFAULT_MIX) -> Decimal | None:
    """The price of a token in the given input:output mix, USD per million tokens."""
    if input is None or output is None:
        return None
    a, b = mix
    return ((input * a + output * b) / Decimal(a + b)).quantize(Decimal("0.000001"), ROUND_HALF_UP).normalize()


def parse_flag(text: str | None, name: str, default: bool) -> bool:
    """A yes/no query parameter: 1/0, true/false, yes/no, on/off. Checkbox forms send a hidden 0
    before the box's 1, so the last value wins (QueryDict.get gives the last)."""
    if text is None or text == "":
        return default
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise QueryError(f"{name} must be 1 or 0 (true or false), not {text[:20]!r}")


def rows_converted_once(queryset) -> list[tuple]:
    """The rows of a ``values_list`` queryset, with each distinct raw value of a column passed
    through the database's converters once. Reading a year of history is thousands of rows whose
    Decimal and datetime conversions were most of its cost, while prices and collection times
    repeat across offers and days. The same converters as ``QuerySet.__iter__`` (Django's
    ``SQLCompiler.results_iter``), so the values are the same."""
    from django.db import connections
    from django.db.models.sql.constants import MULTI

    compiler = queryset.query.get_compiler(queryset.db)
    results = compiler.execute_sql(MULTI)
    converters = compiler.get_converters([s[0] for s in compiler.select[0:compiler.col_count]])
    connection = connections[queryset.db]
    memos: dict[int, dict] = {pos: {} for pos in converters}
    out = []
    for raw in chain.from_iterable(results):
        row = list(raw)
        for pos, (functions, expression) in converters.items():
            value = row[pos]
            memo = memos[pos]
            if value in memo:
                row[pos] = memo[value]
                continue
            for function in functions:
                row[pos] = function(row[pos], expression, connection)
            memo[value] = row[pos]
        out.append(tuple(row))
    return out
