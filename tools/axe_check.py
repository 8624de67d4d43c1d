"""Run axe-core on a page the browser shows, with the WCAG 2.0/2.1/2.2 A and AA rules.

Two kinds of result are reported: violations (axe found a rule broken) and "needs review" (axe's
``incomplete``: it could not decide, e.g. a text's contrast where another element overlaps it or
its glyphs are symbols), grouped by rule and axe's reason. Only critical and serious violations
fail the browser test. An undecided result is a question for a person, not a failure: the seven
pages carry 58 such elements per colour scheme, all colour contrast (31 bgOverlap, though no
element covers the sidebar's text at its centre once the page has settled; 19 nonBmp: KaTeX's
floor brackets and minus signs; 4 pseudoContent; 4 shortTextContent), on elements whose
selectors are generated anew on each load, so no list of reviewed elements could be kept.

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
BLOCKING = ("critical", "serious")  # the impacts of a violation the browser test fails on
VIOLATION, REVIEW = "violation", "needs review"


@dataclass(frozen=True)
class Finding:
    """One axe rule broken on a page, or left undecided for one reason: how badly, on how many
    elements, and one of them."""

    rule: str
    impact: str
    count: int
    target: str  # CSS selector of the first offending element
    sample: str  # its text (or HTML); for colour contrast "fg on bg = ratio", or why axe could not tell
    help: str
    kind: str = VIOLATION  # or REVIEW: axe could not decide (its "incomplete" results)


def axe_version() -> str:
    """The version of axe-core the vendored script carries (e.g. "4.12.1")."""
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT.split("axe v", 1)[1].split()[0]


def run_axe(page) -> list[Finding]:
    """Axe's WCAG A/AA violations, and the results it left undecided (one finding per rule and
    reason), on what `page` (a Playwright sync Page) shows now: worst first, violations before
    results to review of the same impact."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations", "incomplete"]}
    response = Axe().run(page, options=options).response
    findings = [_finding(v, v["nodes"], VIOLATION) for v in response["violations"]]
    for result in response["incomplete"]:
        by_reason: dict[str, list[dict]] = {}
        for node in result["nodes"]:
            by_reason.setdefault(_reason(node), []).append(node)
        findings += [_finding(result, nodes, REVIEW) for nodes in by_reason.values()]
    order = {"critical": 0, "serious": 1, "moderate": 2, "minor": 3}
    return sorted(findings, key=lambda f: (order.get(f.impact, 4), f.kind != VIOLATION, f.rule, -f.count))


def _finding(result: dict, nodes: list[dict], kind: str) -> Finding:
    first = nodes[0] if nodes else {}
    return Finding(
        rule=result["id"],
        impact=result.get("impact") or first.get("impact") or "minor",
        count=len(nodes),
        target=" ".join(str(t) for t in first.get("target", [])),
        sample=_describe(first) if first else "",
        help=result["help"],
        kind=kind,
    )


def _reason(node: dict) -> str:
    """Why axe could not decide on ``node`` (its message key, e.g. "bgOverlap"), or ""."""
    for check in node.get("any", []) + node.get("all", []) + node.get("none", []):
        data = check.get("data")
        if isinstance(data, dict) and data.get("messageKey"):
            return str(data["messageKey"])
    return ""


def _describe(node: dict) -> str:
    """A short, readable account of one offending element."""
    html = re.sub(r"\s+", " ", re.sub(r'\s(class|style|data-[\w-]+)="[^"]*"', "", node.get("html", "")))
    for check in node.get("any", []):
        data = check.get("data") or {}
        if isinstance(data, dict) and data.get("contrastRatio"):
            return f"{data['fgColor']} on {data['bgColor']} = {data['contrastRatio']}:1 {html}"
    reason = _reason(node)
    return f"({reason}) {html}" if reason else html


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The critical and serious violations (what the browser test fails on)."""
    return [f for f in findings if f.kind == VIOLATION and f.impact in BLOCKING]


def count_by_impact(findings: Iterable[Finding], impact: str, kind: str = VIOLATION) -> int:
    """Elements with findings of one impact and kind, summed over rules (how the issue counted them)."""
    return sum(f.count for f in findings if f.impact == impact and f.kind == kind)


def table(findings: list[Finding], max_sample: int = 110) -> str:
    """A plain-text table: rule, impact, result (violation or needs review), count, a sample
    offending element."""
    if not findings:
        return "  (no violations, nothing to review)"
    rows = [("rule", "impact", "result", "count", "sample")] + [
        (f.rule, f.impact, f.kind, str(f.count), f.sample[:max_sample]) for f in findings
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(
        f"  {r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>{widths[3]}}  {r[4]}"
        for r in rows
    )
