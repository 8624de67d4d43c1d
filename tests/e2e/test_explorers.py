"""In Chromium: a student uses the Convolution, Pooling and transposed explorers, drawn in the
browser. A key moves the picture and the numbers in the same frame with no server run; once the
controls rest, one run brings the address bar and the Keras line up to date. The words each
explorer writes are the lesson's: the floor, the 'same' split, dilation, refusals, overlaps."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import assert_no_exception, open_page, runs_ended, screenshot, wait_for_run

pytestmark = pytest.mark.e2e

SETTLED_MS = 5_000  # the 250 ms rest, then a fragment run on a busy machine


# The explorer's section, found through the component's shadow root (for code run in the page).
SECTION_JS = """(name) => [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]
    .map(host => host.shadowRoot?.querySelector(`section.explorer[data-explorer="${name}"]`)).find(Boolean)"""


def explorer(page, name: str):
    return page.locator(f'section.explorer[data-explorer="{name}"]')


def draws(page, name: str) -> int:
    return int(explorer(page, name).get_attribute("data-draws") or 0)


def control(page, name: str, setting: str):
    return explorer(page, name).locator(f'[data-name="{setting}"]').first


def press(page, name: str, setting: str, key: str = "ArrowRight", times: int = 1) -> None:
    """Focus a control of explorer ``name`` and press ``key``; return once the picture is redrawn."""
    control(page, name, setting).focus()
    for _ in range(times):
        before = draws(page, name)
        page.keyboard.press(key)
        page.wait_for_function(
            f"([name, before]) => Number(({SECTION_JS})(name)?.dataset.draws) > before",
            arg=[name, before],
            timeout=5_000,
        )


def metric(page, name: str, label: str) -> str:
    return explorer(page, name).locator(".metric", has_text=label).first.locator(".metric-value").inner_text()


def text(page, name: str) -> str:
    return explorer(page, name).inner_text()


def settled(page, param: str, value: str) -> None:
    """Wait until the address bar holds ``param=value`` (the settled settings reached Python)."""
    page.wait_for_url(re.compile(rf"[?&]{param}={re.escape(value)}(&|$)"), timeout=SETTLED_MS)
    wait_for_run(page)


def open_explorer(page, app_url: str, path: str, name: str) -> None:
    open_page(page, app_url, path)
    explorer(page, name).wait_for()
    page.wait_for_function(  # the test images are decoded and drawn
        """() => [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]
             .every(h => Number(h.shadowRoot.querySelector('section.explorer')?.dataset.draws) >= 1)"""
    )
    explorer(page, name).scroll_into_view_if_needed()


def keras_line(page) -> str:
    return page.locator('[data-testid="stCode"]').first.inner_text()


# --- Convolution: keys, the link, the Keras line ----------------------------------------------------


def test_a_key_redraws_in_the_browser_and_the_settled_setting_reaches_the_link(page, app_url):
    open_explorer(page, app_url, "convolution", "convolution")
    assert metric(page, "convolution", "Output") == "5×5"
    runs = runs_ended(page)
    press(page, "convolution", "conv_kernel")  # K = 4 on a 7×7 input
    assert metric(page, "convolution", "Output") == "4×4"
    assert runs_ended(page) == runs, "a step is drawn without a server run"
    press(page, "convolution", "conv_kernel")  # K = 5
    assert metric(page, "convolution", "Output") == "3×3"
    settled(page, "conv_kernel", "5")
    assert runs_ended(page) == runs + 1, "one run once the controls rest, not one per step"
    assert keras_line(page).startswith("layers.Conv2D(24, (5, 5)")
    assert_no_exception(page)


def test_home_and_end_reach_the_bounds_and_the_formula_keeps_up(page, app_url):
    open_explorer(page, app_url, "convolution", "convolution")
    press(page, "convolution", "conv_size", "End")  # I = 28, K = 3
    assert metric(page, "convolution", "Output") == "26×26"
    assert "28−3+2·0" in text(page, "convolution").replace(" ", "").replace("\n", "")
    press(page, "convolution", "conv_size", "Home")  # I = 3
    assert metric(page, "convolution", "Output") == "1×1"
    settled(page, "conv_size", "3")


def test_the_floor_the_same_split_dilation_and_refusals_are_explained(page, app_url):
    open_explorer(page, app_url, "convolution?conv_size=8&conv_stride=2", "convolution")
    assert metric(page, "convolution", "Output") == "3×3"
    said = text(page, "convolution")
    assert "The floor matters here" in said and "never covered" in said and "1 real pixel" in said

    open_explorer(
        page, app_url, "convolution?conv_size=28&conv_kernel=4&conv_padding_mode=same", "convolution"
    )
    assert (
        metric(page, "convolution", "Output") == "28×28" and metric(page, "convolution", "Padding") == "1 + 2"
    )
    assert "split 1 before and 2 after" in text(page, "convolution") and "asymmetric" in text(
        page, "convolution"
    )

    open_explorer(page, app_url, "convolution?conv_size=9&conv_dilation=2", "convolution")
    assert metric(page, "convolution", "Output") == "5×5"
    assert "sees a 5×5 patch" in text(page, "convolution")

    open_explorer(page, app_url, "convolution?conv_size=5&conv_kernel=7", "convolution")
    said = text(page, "convolution")
    assert "7×7 kernel does not fit in a 5×5 input with no padding" in said and "no output at all" in said
    assert "Fix the settings above to see the window" in said

    open_explorer(page, app_url, "convolution?conv_stride=2&conv_dilation=2", "convolution")
    assert "stride of 2 together with a dilation of 2" in text(page, "convolution")
    assert "# ✗ Keras refuses this line" in keras_line(page)
    assert_no_exception(page)


def test_the_tutorials_slip_buttons_reach_the_explorer(page, app_url):
    open_explorer(page, app_url, "convolution", "convolution")
    page.get_by_role("button", name="Show P = 2").click()
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]
             .some(h => h.shadowRoot.querySelector('.metric-value')?.innerText === '30×30')"""
    )
    assert control(page, "convolution", "conv_pad").input_value() == "2"
    assert "ZeroPadding2D(2)" in keras_line(page)


# --- Convolution: the window -----------------------------------------------------------------------


def step(page) -> int:
    return int(control(page, "convolution", "conv_step").input_value())


def test_play_steps_and_jump_move_the_window(page, app_url):
    open_explorer(page, app_url, "convolution?conv_stride=2", "convolution")  # 7×7, K 3, S 2: 3×3 windows
    conv = explorer(page, "convolution")
    runs = runs_ended(page)
    conv.get_by_label("Play speed (windows per second)").select_option("10")
    conv.get_by_role("button", name=re.compile("Play")).click()
    page.wait_for_function(
        f"() => Number(({SECTION_JS})('convolution').querySelector('[data-name=conv_step]').value) >= 3"
    )
    assert runs_ended(page) == runs, "playing runs nothing on the server"
    conv.get_by_role("button", name=re.compile("Pause")).click()
    stopped = step(page)
    page.wait_for_timeout(600)
    assert step(page) == stopped, "Pause stops the window"
    press(page, "convolution", "conv_step", "Home")
    conv.get_by_role("button", name=re.compile("Next window")).click()
    assert "(row 0, column 1)" in text(page, "convolution")
    conv.get_by_role("button", name=re.compile("Jump to the end of the row")).click()
    assert "(row 0, column 2)" in text(page, "convolution")
    conv.get_by_role("button", name=re.compile("Jump to the end of the row")).click()
    assert "(row 1, column 2)" in text(page, "convolution"), "pressed again: the end of the next row"
    settled(page, "conv_step", "5")


def test_clicking_an_output_cell_moves_the_window_there(page, app_url):
    open_explorer(page, app_url, "convolution", "convolution")  # a 7×7 input, a 5×5 output beside it
    canvas = explorer(page, "convolution").locator(".window-part canvas")
    assert canvas.get_attribute("aria-label").endswith("window 1 of 25.")
    width = float(canvas.evaluate("c => c.style.width").rstrip("px"))
    cell = (width - 28 - 40 - 8) / 14  # margin, the two 7-cell grids, the gap between them, the edge
    canvas.click(position={"x": 28 + 7 * cell + 40 + 4.5 * cell, "y": 28 + 4.5 * cell})  # output cell (4, 4)
    assert canvas.get_attribute("aria-label").endswith("window 25 of 25.")
    settled(page, "conv_step", "24")


def test_reduced_motion_offers_steps_instead_of_play(browser, app_url):
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    from tests.e2e.conftest import follow_runs

    follow_runs(page)
    try:
        open_explorer(page, app_url, "convolution", "convolution")
        conv = explorer(page, "convolution")
        assert conv.get_by_role("button", name=re.compile("Play")).count() == 0
        assert "reduced motion" in text(page, "convolution")
        conv.get_by_role("button", name=re.compile("Next window")).click()
        assert "(row 0, column 1)" in text(page, "convolution")
    finally:
        context.close()


# --- Convolution: the feature map ----------------------------------------------------------------


def test_the_feature_map_follows_the_kernel_and_the_image(page, app_url):
    open_explorer(page, app_url, "convolution", "convolution")
    conv = explorer(page, "convolution")
    assert "(28, 28, 1) → (26, 26, 1)" in text(page, "convolution")
    conv.get_by_label("Kernel", exact=True).select_option("blur")
    assert "White is 0, black is" in text(page, "convolution")
    conv.get_by_label("Fashion-MNIST").check()
    conv.get_by_label("Class").select_option(label="Ankle boot")
    assert "Input (“Ankle boot”): 28×28×1" in text(page, "convolution")
    press(page, "convolution", "conv_stride")  # stride 2: 13×13
    assert "Feature map: 13×13×1" in text(page, "convolution")
    settled(page, "conv_class", "9")
    assert "conv_dataset=fashion_mnist" in page.url and "conv_filter=blur" in page.url


# --- Pooling ----------------------------------------------------------------------------------------


def test_pooling_with_a_larger_window_and_the_keras_stride(page, app_url):
    open_explorer(page, app_url, "pooling", "pooling")
    assert metric(page, "pooling", "Output") == "3×3"
    runs = runs_ended(page)
    press(page, "pooling", "pool_size")  # 3×3 windows, stride 3 (Keras's default), on the 6×6 grid
    assert metric(page, "pooling", "Output") == "2×2"
    assert control(page, "pooling", "pool_stride").input_value() == "3", "the stride in use is shown"
    assert runs_ended(page) == runs
    settled(page, "pool_size", "3")
    assert keras_line(page) == "layers.MaxPooling2D((3, 3))"
    pool = explorer(page, "pooling")
    pool.get_by_label("Stride = pool size (Keras default)").uncheck()
    press(page, "pooling", "pool_stride", "Home")  # stride 1: overlapping windows
    assert metric(page, "pooling", "Output") == "4×4" and "overlap" in text(page, "pooling")
    settled(page, "pool_stride", "1")
    assert "strides=(1, 1)" in keras_line(page)
    assert_no_exception(page)


def test_pooling_explains_the_floor_same_padding_and_a_window_that_does_not_fit(page, app_url):
    open_explorer(page, app_url, "pooling?pool_grid=7", "pooling")
    assert metric(page, "pooling", "Output") == "3×3" and "drops the last 1 row" in text(page, "pooling")
    explorer(page, "pooling").get_by_label("same").check()
    assert metric(page, "pooling", "Output") == "4×4"
    assert "adds 0 before and 1 after" in text(page, "pooling") and "never wins a max" in text(
        page, "pooling"
    )
    press(page, "pooling", "pool_window", "End")  # the last window hangs over the edge
    assert "only 1 real numbers" in text(page, "pooling")

    open_explorer(page, app_url, "pooling?pool_grid=3&pool_size=4", "pooling")
    assert "4×4 pooling window does not fit in a 3×3 input" in text(page, "pooling")
    assert_no_exception(page)


def test_average_pooling_and_a_new_seed(page, app_url):
    open_explorer(page, app_url, "pooling", "pooling")
    pool = explorer(page, "pooling")
    first = pool.locator(".window-sentence").inner_text()
    assert re.search(r"max\((\d, ){3}\d\) = \d", first)
    pool.get_by_label("Average").check()
    assert re.search(r"\) / 4 = \d\.\d\d", pool.locator(".window-sentence").inner_text())
    seed = control(page, "pooling", "pool_seed")
    seed.fill("42")
    seed.press("Enter")
    settled(page, "pool_seed", "42")
    page.wait_for_function(  # the new seed's numbers arrive from Python
        """() => [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]
             .map(h => h.shadowRoot.querySelector('.window-sentence')).find(Boolean)
             ?.innerText.includes('/ 4')"""
    )
    assert pool.locator(".window-sentence").inner_text() != first


def test_a_real_image_before_and_after_pooling(page, app_url):
    open_explorer(page, app_url, "pooling", "pooling")
    said = text(page, "pooling")
    assert "Shape (28, 28, 1) → (14, 14, 1): 784 values become 196, 4× fewer (75% less data)" in said
    explorer(page, "pooling").get_by_label("a shrunken image (0–255)").check()
    assert re.search(
        r"max\((\d+, ){3}\d+\) = \d+", explorer(page, "pooling").locator(".window-sentence").inner_text()
    )


# --- Transposed convolution ----------------------------------------------------------------------------


def test_the_transposed_section_upsamples_with_its_stride(page, app_url):
    open_explorer(page, app_url, "convolution", "transposed")
    assert metric(page, "transposed", "Transposed output") == "14×14"
    assert "7 → 14" in text(page, "transposed") and "checkerboard" in text(page, "transposed")
    press(page, "transposed", "tconv_stride")  # stride 3: 7 → 21
    assert metric(page, "transposed", "Transposed output") == "21×21" and "7 → 21" in text(page, "transposed")
    explorer(page, "transposed").get_by_label("valid").check()
    press(page, "transposed", "tconv_kernel", times=2)  # K = 5
    assert metric(page, "transposed", "Transposed output") == "23×23" and "plus 2 at the border" in text(
        page, "transposed"
    )
    settled(page, "tconv_kernel", "5")
    assert (
        page.locator('[data-testid="stCode"]', has_text="Conv2DTranspose(24, (5, 5), strides=3").count() == 1
    )


def test_refused_output_paddings_are_sentences(page, app_url):
    open_explorer(page, app_url, "convolution?tconv_output_padding=2", "transposed")
    assert "must be at least 0 and smaller than the stride (2)" in text(page, "transposed")
    open_explorer(page, app_url, "convolution?tconv_kernel=4&tconv_output_padding=0", "transposed")
    assert "TensorFlow refuses to run the layer" in text(page, "transposed")
    assert_no_exception(page)


# --- Everyone: typed values, the dark theme, a phone ------------------------------------------------------


def test_type_exact_values_gives_number_boxes_that_take_a_typed_value(page, app_url):
    open_explorer(page, app_url, "convolution?exact=1", "convolution")
    size = control(page, "convolution", "conv_size")
    assert size.get_attribute("type") == "number"
    size.fill("12")
    size.press("Enter")
    assert metric(page, "convolution", "Output") == "10×10"
    size.fill("99")  # out of bounds: the largest allowed
    size.press("Enter")
    assert size.input_value() == "28" and metric(page, "convolution", "Output") == "26×26"
    settled(page, "conv_size", "28")


def test_the_explorers_take_the_dark_theme_and_fit_a_phone(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 900}, color_scheme="dark")
    page = context.new_page()
    try:
        for path, name in (("convolution", "convolution"), ("pooling", "pooling")):
            open_explorer(page, app_url, path, name)
            colour = explorer(page, name).evaluate("e => getComputedStyle(e).color")
            assert colour not in ("rgb(0, 0, 0)", "rgb(17, 17, 17)"), "text in the dark theme's colour"
            overflow = page.evaluate("""() => { const m = document.querySelector('[data-testid="stMain"]');
                return m.scrollWidth - m.clientWidth; }""")
            assert overflow <= 0, f"{path} scrolls {overflow} px sideways at 390 px"
            screenshot(page, f"{name}-dark-390")
    finally:
        context.close()
