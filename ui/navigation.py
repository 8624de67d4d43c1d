"""The pages the app lists, in the tutorial's order. The router, Home and the tests read this."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to the repository root
    title: str
    icon: str
    blurb: str  # one sentence for Home
    section: str = ""  # the tutorial section it teaches, e.g. "1.1.1"
    try_next: str = ""  # one sentence: what to try on this page before moving on


def lesson_pages() -> list[PageInfo]:
    """The pages of the lesson, in order (everything but Home)."""
    return [p for p in PAGES if p.path != PAGES[0].path]


def find(path: str) -> PageInfo | None:
    return next((p for p in PAGES if p.path == path), None)


PAGES: list[PageInfo] = [
    PageInfo("pages/home.py", "Home", ":material/home:", "What the explorer teaches and where to start."),
]
