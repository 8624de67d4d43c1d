"""In Chromium: the Convolution page's transposed-convolution section reacts to its stride and fits a phone."""

import pytest

from tests.e2e.conftest import assert_no_exception, screenshot

pytestmark = pytest.mark.e2e

SECTION = ".st-key-transposed"
METRIC = f'{SECTION} [data-testid="stMetricValue"]'
FITS = f"""() => {{
    const section = document.querySelector('{SECTION}');
    const chart = section && section.querySelector('canvas');
    return chart && section.scrollWidth <= section.clientWidth
        && section.getBoundingClientRect().right <= window.innerWidth
        && chart.getBoundingClientRect().right <= section.getBoundingClientRect().right;
}}"""  # the chart and the section inside the phone's width, nothing in the section wider than it


def test_the_section_upsamples_with_its_stride_and_fits_390_px(page, app_url):
    page.goto(f"{app_url}/convolution")
    page.wait_for_function(f"() => document.querySelector('{METRIC}')?.innerText === '14×14'")
    section = page.locator(SECTION)
    section.scroll_into_view_if_needed()
    assert "7 → 14" in section.inner_text()
    page.get_by_role("slider", name="Stamp spacing S (stride)").focus()  # a name of its own on the page
    page.keyboard.press("ArrowRight")  # stride 3: 7 → 21
    page.wait_for_function(f"() => document.querySelector('{METRIC}')?.innerText === '21×21'")
    page.wait_for_function(f"() => document.querySelector('{SECTION}').innerText.includes('7 → 21')")
    assert_no_exception(page)
    screenshot(page, "convolution_transposed")

    page.set_viewport_size({"width": 390, "height": 900})  # a phone: the section must not scroll sideways
    page.wait_for_function(FITS, timeout=10_000)
