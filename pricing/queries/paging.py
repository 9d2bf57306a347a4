"""Page numbers for list pages: every list is paginated, and a page past the end is a 400."""

from __future__ import annotations

from dataclasses import dataclass

from pricing.queries.base import QueryError

MAX_PAGE = 100_000


@dataclass
class Paged:
    number: int
    size: int
    count: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.size))

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def parse_page(text: str | None) -> int:
    if text is None or text.strip() == "":
        return 1
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value) <= MAX_PAGE:
        raise QueryError(f"page must be a whole number from 1 to {MAX_PAGE}, not {text[:20]!r}")
    return int(value)


def paginate(query, page: int, size: int) -> tuple[list, Paged]:
    """One page of a query (two queries: the count and the slice)."""
    count = query.count()
    paged = Paged(page, size, count)
    if page > paged.pages:
        raise QueryError(f"page {page} is past the last page ({paged.pages})")
    return list(query[(page - 1) * size : page * size]), paged
