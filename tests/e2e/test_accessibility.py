"""Every page, in the light and the dark theme, has no critical or serious axe-core violation.

axe-core's WCAG 2.0/2.1/2.2 A and AA rules (tools/axe_check.py) run in Chromium on each page as
a new user first sees it; Predictions shows the pretrained network (grid and confusion matrix).
A failure prints the critical and serious violations: rule, impact, element count and a sample
element; each page's whole table, with the results axe left undecided ("needs review", which do
not fail: see tools/axe_check.py), is printed too (pytest -s shows it when all pass).

At a phone's 390 px width no page scrolls sideways (WCAG 1.4.10): charts shrink to their column,
formulas and code wrap. `python tools/a11y_audit.py` prints the full table for every page.
"""

from pathlib import Path

import pytest

from tests.e2e.conftest import RUN_TIMEOUT_MS, _missing, open_page
from tools.axe_check import blocking, run_axe, table
from ui.navigation import PAGES, url_path

pytestmark = pytest.mark.e2e

SCHEMES = ["light", "dark"]
DESKTOP_WIDTH = 1400
PHONE_WIDTH = 390  # WCAG 1.4.10 reflow: 320 CSS px asked, a phone's 390 checked
# How far the page scrolls sideways (Streamlit scrolls its main pane, not the document).
OVERFLOW_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const doc = document.scrollingElement;
  return Math.max(doc.scrollWidth - innerWidth, main ? main.scrollWidth - main.clientWidth : 0, 0);
}"""


def cases():
    for info in PAGES:
        for scheme in SCHEMES:
            yield pytest.param(info, scheme, id=f"{info.title}-{scheme}")


@pytest.fixture(scope="module")
def axe_installed():
    try:
        import axe_playwright_python  # noqa: F401
    except ImportError:
        _missing("axe-playwright-python is not installed (pip install -r requirements-dev.txt)")


@pytest.mark.parametrize(("info", "scheme"), list(cases()))
def test_no_critical_or_serious_violation(browser, app_url, axe_installed, info, scheme):
    context, page = _open(browser, app_url, info, scheme, DESKTOP_WIDTH)
    try:
        findings = run_axe(page)
    finally:
        context.close()
    print(f"\n{info.title} ({scheme}):\n{table(findings)}")
    bad = blocking(findings)
    assert not bad, f"{info.title} ({scheme}): critical/serious axe violations\n{table(bad)}"


def _open(browser, app_url, info, scheme: str, width: int):
    """A new browser context on ``info``'s page, settled: the script ran, every image loaded
    (on Predictions, the pretrained network's grid is on the page)."""
    context = browser.new_context(viewport={"width": width, "height": 1000}, color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(RUN_TIMEOUT_MS)
    open_page(page, app_url, url_path(info))
    if Path(info.path).stem == "predictions":
        page.locator('[data-testid="stImage"] img').first.wait_for()
    page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
    return context, page


@pytest.mark.parametrize("info", PAGES, ids=[p.title for p in PAGES])
def test_no_sideways_scroll_on_a_phone(browser, app_url, info):
    context, page = _open(browser, app_url, info, "light", PHONE_WIDTH)
    try:
        overflow = page.evaluate(OVERFLOW_JS)
        wide = page.evaluate(f"""() => Array.from(document.querySelectorAll('[data-testid]'))
            .filter(e => e.getBoundingClientRect().right > {PHONE_WIDTH} + 1)
            .map(e => e.dataset.testid).slice(0, 5)""")
    finally:
        context.close()
    assert overflow == 0, f"{info.title} scrolls {overflow} px sideways at {PHONE_WIDTH} px: {wide}"
