"""Run axe-core on a page the browser shows, with the WCAG 2.0/2.1/2.2 A and AA rules.

axe-core comes vendored in the PyPI package axe-playwright-python (requirements-dev.txt), so the
README's one test command installs it; no Node or npm needed. Used by tests/e2e/test_accessibility.py
and tools/a11y_audit.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# axe-core's tags for the WCAG 2.0, 2.1 and 2.2 success criteria at levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING = ("critical", "serious")  # the impacts the browser test fails on


@dataclass(frozen=True)
class Finding:
    """One axe rule broken on a page: how badly, on how many elements, and one of them."""

    rule: str
    impact: str
    count: int
    target: str  # CSS selector of the first offending element
    sample: str  # its text (or HTML), and for colour contrast: "fg on bg = ratio"
    help: str


def axe_version() -> str:
    """The version of axe-core the vendored script carries (e.g. "4.12.1")."""
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT.split("axe v", 1)[1].split()[0]


def run_axe(page) -> list[Finding]:
    """Axe's WCAG A/AA violations on what `page` (a Playwright sync Page) shows now, worst first."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    response = Axe().run(page, options=options).response
    findings = [
        Finding(
            rule=v["id"],
            impact=v.get("impact") or "minor",
            count=len(v["nodes"]),
            target=" ".join(str(t) for t in v["nodes"][0]["target"]) if v["nodes"] else "",
            sample=_describe(v["nodes"][0]) if v["nodes"] else "",
            help=v["help"],
        )
        for v in response["violations"]
    ]
    order = {"critical": 0, "serious": 1, "moderate": 2, "minor": 3}
    return sorted(findings, key=lambda f: (order.get(f.impact, 4), f.rule))


def _describe(node: dict) -> str:
    """A short, readable account of one offending element."""
    html = re.sub(r"\s+", " ", re.sub(r'\s(class|style|data-[\w-]+)="[^"]*"', "", node.get("html", "")))
    for check in node.get("any", []):
        data = check.get("data") or {}
        if isinstance(data, dict) and "contrastRatio" in data:
            return f'{data["fgColor"]} on {data["bgColor"]} = {data["contrastRatio"]}:1 {html}'
    return html


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The critical and serious findings (what the browser test fails on)."""
    return [f for f in findings if f.impact in BLOCKING]


def count_by_impact(findings: Iterable[Finding], impact: str) -> int:
    """Offending elements of one impact, summed over rules (how the issue counted them)."""
    return sum(f.count for f in findings if f.impact == impact)


def table(findings: list[Finding], max_sample: int = 110) -> str:
    """A plain-text table: rule, impact, count, a sample offending element."""
    if not findings:
        return "  (no violations)"
    rows = [("rule", "impact", "count", "sample")] + [
        (f.rule, f.impact, str(f.count), f.sample[:max_sample]) for f in findings
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(
        f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}" for r in rows
    )
