"""The pages the app lists, in the tutorial's order. The router, Home and the tests read this."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to the repository root
    title: str
    icon: str
    blurb: str  # one sentence for Home
    section: str = ""  # the tutorial section it teaches


PAGES: list[PageInfo] = [
    PageInfo("pages/home.py", "Home", ":material/home:", "What the explorer teaches and where to start."),
]
