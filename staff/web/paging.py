"""One page of a long list, with the links to the others that keep the page's filters in the URL."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Sequence, TypeVar
from urllib.parse import urlencode

T = TypeVar("T")


@dataclass(frozen=True)
class Paged(Generic[T]):
    items: Sequence[T]
    page: int                          # 1-based; a page past the end shows the last one
    pages: int
    total: int
    first: int                         # the 1-based position of the first item shown (0 when none)
    _path: str
    _filters: tuple[tuple[str, str], ...]

    def url(self, page: int) -> str:
        """This list at `page`, with the same filters (empty ones left out)."""
        query = [(k, v) for k, v in self._filters if v] + ([("page", str(page))] if page > 1 else [])
        return self._path + (f"?{urlencode(query)}" if query else "")


def paged(items: Sequence[T], page: int, size: int, path: str, filters: dict[str, str]) -> Paged[T]:
    pages = max(1, -(-len(items) // size))
    page = min(max(page, 1), pages)
    start = (page - 1) * size
    return Paged(items[start:start + size], page, pages, len(items), start + 1 if items else 0, path,
                 tuple(filters.items()))
