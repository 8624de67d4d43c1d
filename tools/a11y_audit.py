"""Audit every page with axe-core (WCAG 2.0/2.1/2.2 A and AA) in Chromium, in light and dark.

    python tools/a11y_audit.py                      # both colour schemes, 1400 px wide
    python tools/a11y_audit.py --scheme dark --width 390

Starts the app offline on a free port (as the browser tests do), opens the seven pages as a new
user would (Predictions shows the pretrained network, loaded on the first visit), and prints per
page a table of the violated rules and of the results axe could not decide ("needs review", e.g.
text over an image; impact, elements, a sample target), the page's sideways overflow in CSS pixels
(WCAG 1.4.10 at --width 390), then a summary of critical/serious counts of each kind.
Needs Chromium and requirements-dev.txt (axe-core comes in axe-playwright-python).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tools.axe_check import REVIEW, axe_version, count_by_impact, run_axe, table  # noqa: E402
from tools.running_app import CHROMIUM_ARGS, RUN_TIMEOUT_MS, chromium_path, running_app, wait_for_run  # noqa: E402
from ui.navigation import PAGES, url_path  # noqa: E402

# How far the main pane scrolls sideways: > 0 means the page is wider than the window.
OVERFLOW_JS = """() => {
  const m = document.querySelector('[data-testid="stMain"]') || document.documentElement;
  return Math.max(m.scrollWidth - m.clientWidth,
                  document.documentElement.scrollWidth - document.documentElement.clientWidth, 0);
}"""


def open_and_settle(page, url: str) -> None:
    """Open `url` and wait until the script has run and every image has loaded."""
    page.goto(url)
    wait_for_run(page)
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")


def audit(scheme: str, width: int, shots: Path | None) -> dict[str, tuple[int, int, int]]:
    """Print one table per page for one colour scheme; return {page: (critical violations,
    serious violations, critical or serious results to review)}."""
    from playwright.sync_api import sync_playwright

    totals: dict[str, tuple[int, int, int]] = {}
    with running_app(ROOT / "tests" / "e2e" / "streamlit_a11y_audit.log") as app_url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": 1000}, color_scheme=scheme)
        page = context.new_page()
        page.set_default_timeout(RUN_TIMEOUT_MS)
        for info in PAGES:
            open_and_settle(page, f"{app_url}/{url_path(info)}")
            if info.title == "Predictions":  # the pretrained network's grid is what a learner sees
                page.locator('[data-testid="stImage"] img').first.wait_for()
            findings = run_axe(page)
            overflow = page.evaluate(OVERFLOW_JS)
            crit, ser = count_by_impact(findings, "critical"), count_by_impact(findings, "serious")
            review = sum(count_by_impact(findings, impact, REVIEW) for impact in ("critical", "serious"))
            totals[info.title] = (crit, ser, review)
            print(
                f"\n== {info.title} ({scheme}, {width} px): {crit} critical, {ser} serious, "
                f"{review} critical/serious to review, sideways overflow {overflow} px"
            )
            print(table(findings))
            if shots is not None:
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / f"{Path(info.path).stem}_{scheme}_{width}.png"))
        browser.close()
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scheme",
        choices=["light", "dark", "both"],
        default="both",
        help="the viewer's colour-scheme preference Chromium reports",
    )
    parser.add_argument("--width", type=int, default=1400, help="window width in CSS pixels")
    parser.add_argument(
        "--screenshots", type=Path, default=None, help="folder for a viewport screenshot of each page"
    )
    args = parser.parse_args()
    if chromium_path() is None:
        sys.exit("Chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH)")
    print(f"axe-core {axe_version()}, WCAG 2.0/2.1/2.2 A and AA rules")
    schemes = ["light", "dark"] if args.scheme == "both" else [args.scheme]
    results = {s: audit(s, args.width, args.screenshots) for s in schemes}
    print("\n| page | " + " | ".join(f"{s}: critical / serious / to review" for s in schemes) + " |")
    print("|---|" + "---|" * len(schemes))
    for info in PAGES:
        cells = " | ".join(" / ".join(str(n) for n in results[s][info.title]) for s in schemes)
        print(f"| {info.title} | {cells} |")
    sums = " | ".join(" / ".join(str(sum(col)) for col in zip(*results[s].values())) for s in schemes)
    print(f"| all | {sums} |")


if __name__ == "__main__":
    main()
