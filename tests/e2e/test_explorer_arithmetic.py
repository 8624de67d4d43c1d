"""One arithmetic: the explorers' JavaScript answers what cnn_core answers, on every setting.

The Convolution, Pooling and transposed explorers compute each step in the browser
(ui/explorers/arithmetic.js). Here Chromium runs that code, as the page loaded it, on a table
generated from cnn_core.shapes and cnn_core.kernels over every combination the explorers'
controls allow (their bounds are read from the controls on the page), degenerate and refused
ones included: the same size, the same padding split, the same windows, the same refusal
sentence, the same feature map and pooled values. Each check returns the rows that differ.
"""

from __future__ import annotations

import base64
import itertools
import json

import numpy as np
import pytest

from cnn_core import kernels, shapes
from tests.e2e.conftest import open_page

pytestmark = pytest.mark.e2e

CHUNK = 2_000  # rows sent to the page at a time


# --- the page's own code, and the settings its controls allow --------------------------------


@pytest.fixture(scope="module")
def explorer_page(browser, app_url):
    """The Convolution page, with its explorers' code loaded (and the Pooling page's bounds read)."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(120_000)
    open_page(page, app_url, "pooling")
    wait_for_controls(page, "pooling")
    pool = controls(page)
    open_page(page, app_url, "convolution")
    wait_for_controls(page, "convolution", "transposed")  # two components: either may draw first
    page.bounds = {**pool, **controls(page)}  # type: ignore[attr-defined]
    yield page
    context.close()


def wait_for_controls(page, *explorers: str) -> None:
    """Wait until each of ``explorers`` has drawn its controls."""
    for name in explorers:
        page.locator(f'section.explorer[data-explorer="{name}"] [data-name]').first.wait_for()


def controls(page) -> dict:
    """Every control of the explorers on the page: a range's [min, max], or a radio's / select's values."""
    return page.evaluate("""() => {
      const found = {};
      const roots = [...document.querySelectorAll('[data-testid=stBidiComponentIsolated]')]
        .map(h => h.shadowRoot);
      for (const root of roots) {
        for (const input of root.querySelectorAll('input[type=range], input[type=number]')) {
          found[input.dataset.name] = [Number(input.min), Number(input.max)];
        }
        for (const input of root.querySelectorAll('input[type=radio]')) {
          (found[input.dataset.name] ??= []).push(input.value);
        }
        for (const select of root.querySelectorAll('select')) {
          found[select.dataset.name] = [...select.options].map(o => o.value);
        }
      }
      return found;
    }""")


def span(bounds: dict, name: str) -> range:
    lo, hi = bounds[name]
    return range(lo, hi + 1)


def mismatches(page, function: str, rows: list) -> list:
    """Run ``function(row)`` (JavaScript, given ``arithmetic``) on each row's input in the page;
    the rows whose answer differs from the row's expected one (JSON-equal)."""
    found = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        found += page.evaluate(
            f"""(rows) => {{
              const {{arithmetic, widgets}} = globalThis.cnnExplorers;
              const f = {function};
              const answer = (row) => {{
                try {{ return f(row.input); }}
                catch (error) {{
                  if (error instanceof arithmetic.Refusal) return {{refused: error.message}};
                  throw error;
                }}
              }};
              return rows.map(row => [row, answer(row)])
                .filter(([row, got]) => JSON.stringify(got) !== JSON.stringify(row.expected))
                .slice(0, 10).map(([row, got]) => ({{...row, got}}));
            }}""",
            chunk,
        )
    return found


def expect(call, *args):
    """What cnn_core answers: the value, or the refusal's sentence."""
    try:
        return call(*args)
    except ValueError as exc:
        return {"refused": str(exc)}


# --- convolution ----------------------------------------------------------------------------


def conv_settings(bounds: dict):
    """(I, K, S, padding, D) for every combination the Convolution explorer's controls allow."""
    paddings = [m for m in bounds["conv_padding_mode"] if m != "explicit"] + list(span(bounds, "conv_pad"))
    return itertools.product(
        span(bounds, "conv_size"),
        span(bounds, "conv_kernel"),
        span(bounds, "conv_stride"),
        paddings,
        span(bounds, "conv_dilation"),
    )


def test_every_convolution_setting_has_the_same_size_padding_and_windows(explorer_page):
    rows = []
    for size, kernel, stride, padding, dilation in conv_settings(explorer_page.bounds):
        try:
            a = shapes.conv_arithmetic(size, kernel, stride, padding, dilation)
            expected = {
                "output": a.output,
                "padBefore": a.pad_before,
                "padAfter": a.pad_after,
                "kEff": a.k_eff,
                "padded": a.padded,
                "numerator": a.numerator,
                "remainder": a.remainder,
                "exact": a.exact,
                "uncoveredReal": a.uncovered_real,
                "uncoveredPadding": a.uncovered_padding,
                "windows": shapes.window_positions(size, kernel, stride, padding, dilation),
            }
        except ValueError as exc:
            expected = {"refused": str(exc)}
        rows.append({"input": [size, kernel, stride, padding, dilation], "expected": expected})
    assert len(rows) == 26 * 7 * 4 * 7 * 4, "the table covers every setting of the controls"
    assert sum("refused" in r["expected"] for r in rows) > 1000, "refused settings are in the table too"
    bad = mismatches(
        explorer_page,
        """([size, kernel, stride, padding, dilation]) => {
        const a = arithmetic.convArithmetic(size, kernel, stride, padding, dilation);
        return {output: a.output, padBefore: a.padBefore, padAfter: a.padAfter, kEff: a.kEff,
          padded: a.padded,
          numerator: a.numerator, remainder: a.remainder, exact: a.exact, uncoveredReal: a.uncoveredReal,
          uncoveredPadding: a.uncoveredPadding,
          windows: arithmetic.windowPositions(size, kernel, stride, padding, dilation)};
      }""",
        rows,
    )
    assert not bad, bad


def test_every_feature_map_is_the_one_numpy_computes(explorer_page):
    """Every kernel at every size, stride, padding and dilation on a real digit, scaled to [0, 1]."""
    from ui.common import bundled_test_images

    bounds = explorer_page.bounds
    x_test, _ = bundled_test_images("mnist")
    image = x_test[0]
    rows = []
    for name in bounds["conv_filter"]:
        for _, kernel, stride, padding, dilation in conv_settings({**bounds, "conv_size": [28, 28]}):
            weights = kernels.named_kernel(name, kernel)
            try:
                values = kernels.convolve2d(image / 255.0, weights, stride, padding, dilation)
                expected = {
                    "size": values.shape[0],
                    "values": base64.b64encode(values.astype("<f8").tobytes()).decode(),
                }
            except ValueError as exc:
                expected = {"refused": str(exc)}
            rows.append({"input": [weights.tolist(), stride, padding, dilation], "expected": expected})
    explorer_page.evaluate(
        "(pixels) => { globalThis.testImage = Float64Array.from(pixels, v => v / 255); }",
        image.ravel().tolist(),
    )
    bad = mismatches(
        explorer_page,
        """([weights, stride, padding, dilation]) => {
        const map = arithmetic.convolve2d(globalThis.testImage, 28, weights, stride, padding, dilation);
        const bytes = new Uint8Array(map.values.buffer);
        let binary = "";
        for (const b of bytes) binary += String.fromCharCode(b);
        return {size: map.size, values: btoa(binary)};
      }""",
        rows,
    )
    assert len(rows) == 5 * 7 * 4 * 7 * 4
    assert not bad, [{**b, "expected": "…", "got": "…"} for b in bad]


# --- pooling ----------------------------------------------------------------------------------


def pool_settings(bounds: dict):
    """(grid, F, S, padding) for every combination of the Pooling explorer's controls (the Keras
    default, stride = F, is one of the strides), and the 28×28 image's."""
    sizes = [*span(bounds, "pool_grid"), 28]
    return itertools.product(
        sizes, span(bounds, "pool_size"), span(bounds, "pool_stride"), bounds["pool_padding"]
    )


def test_every_pooling_setting_has_the_same_size_windows_values_and_winners(explorer_page):
    from ui.common import bundled_test_images

    x_test, _ = bundled_test_images("fashion_mnist")
    rows = []
    for size, pool, stride, padding in pool_settings(explorer_page.bounds):
        grids = [np.random.default_rng(seed).integers(0, 10, (size, size)).astype(float) for seed in (0, 7)]
        grids.append(x_test[3].astype(float) if size == 28 else np.round(kernels.downsample(x_test[3], size)))
        for grid, mode in itertools.product(grids, ("max", "average")):
            try:
                expected = {
                    "output": shapes.pool_output_size(size, pool, stride, padding),
                    "windows": shapes.pool_window_positions(size, pool, stride, padding),
                    "values": kernels.pool2d(grid, pool, stride, padding, mode).ravel().tolist(),
                    "winners": kernels.pool_winners(grid, pool, stride, padding).reshape(-1, 2).tolist(),
                }
            except ValueError as exc:
                expected = {"refused": str(exc)}
            rows.append(
                {"input": [grid.ravel().tolist(), size, pool, stride, padding, mode], "expected": expected}
            )
    assert any("refused" in r["expected"] for r in rows)
    bad = mismatches(
        explorer_page,
        """([grid, size, pool, stride, padding, mode]) => ({
        output: arithmetic.poolOutputSize(size, pool, stride, padding),
        windows: arithmetic.poolWindowPositions(size, pool, stride, padding),
        values: [...arithmetic.pool2d(grid, size, pool, stride, padding, mode).values],
        winners: arithmetic.poolWinners(grid, size, pool, stride, padding),
      })""",
        rows,
    )
    assert not bad, bad


def test_a_digit_shrinks_to_every_grid_size_as_numpy_shrinks_and_rounds_it(explorer_page):
    from ui.common import bundled_test_images

    rows = []
    for name in ("mnist", "fashion_mnist"):
        x_test, _ = bundled_test_images(name)
        for index, size in itertools.product(range(20), span(explorer_page.bounds, "pool_grid")):
            image = x_test[index]
            shrunk = kernels.downsample(image, size)
            rows.append(
                {
                    "input": [image.ravel().tolist(), size],
                    "expected": {
                        "shrunk": shrunk.ravel().tolist(),
                        "rounded": np.round(shrunk).ravel().tolist(),
                    },
                }
            )
    bad = mismatches(
        explorer_page,
        """([image, size]) => {
        const shrunk = arithmetic.downsample(Float64Array.from(image), 28, size);
        return {shrunk: [...shrunk], rounded: [...shrunk].map(arithmetic.roundHalfEven)};
      }""",
        rows,
    )
    assert not bad, bad


# --- transposed convolution ---------------------------------------------------------------------


def test_every_transposed_setting_has_the_same_size_stamps_and_coverage(explorer_page):
    bounds = explorer_page.bounds
    output_paddings = [None if v == "none" else int(v) for v in bounds["tconv_output_padding"]]
    rows = []
    for size, kernel, stride, padding, op in itertools.product(
        span(bounds, "tconv_size"),
        span(bounds, "tconv_kernel"),
        span(bounds, "tconv_stride"),
        bounds["tconv_padding"],
        output_paddings,
    ):
        expected = {
            "output": expect(shapes.conv_transpose_output_size, size, kernel, stride, padding, 1, op),
            "patches": expect(shapes.transposed_patches, size, kernel, stride, padding, op),
            "coverage": expect(shapes.transposed_coverage, size, kernel, stride, padding, op),
        }
        rows.append({"input": [size, kernel, stride, padding, op], "expected": expected})
    assert any("refused" in r["expected"]["patches"] for r in rows), "TensorFlow's refusals are in the table"
    bad = mismatches(
        explorer_page,
        """([size, kernel, stride, padding, op]) => {
        const attempt = (f) => {
          try { return f(); } catch (error) { return {refused: error.message}; }
        };
        return {
          output: attempt(() => arithmetic.convTransposeOutputSize(size, kernel, stride, padding, 1, op)),
          patches: attempt(() => arithmetic.transposedPatches(size, kernel, stride, padding, op)),
          coverage: attempt(() => arithmetic.transposedCoverage(size, kernel, stride, padding, op)),
        };
      }""",
        rows,
    )
    assert not bad, bad


# --- the window's steps, and numbers written as Python writes them -------------------------------


def test_play_and_jump_step_through_every_window_as_cnn_core_does(explorer_page):
    rows = [
        {
            "input": [step, out, per_tick],
            "expected": [shapes.play_step(step, out * out, per_tick), shapes.end_of_row(step, out)],
        }
        for out in range(1, 37)
        for step in range(out * out)
        for per_tick in (1, 7)
    ]
    bad = mismatches(
        explorer_page,
        """([step, out, perTick]) =>
        [arithmetic.playStep(step, out * out, perTick), arithmetic.endOfRow(step, out)]""",
        rows,
    )
    assert not bad, bad


def test_numbers_are_written_as_python_formats_them(explorer_page):
    values = [
        0.0,
        1.0,
        2.5,
        4.25,
        4.35,
        0.125,
        105.5,
        106.5,
        2.9876,
        0.3333333,
        1 / 3,
        2 / 3,
        12345.678,
        1e-5,
        0.0001234,
        98765.4321,
        7.0,
        26 / 4,
        0.05,
        0.15,
        0.25,
        0.35,
        1.005,
        2.675,
    ]
    values += [float(v) for v in np.random.default_rng(1).uniform(-300, 300, 200)]
    rows = [
        {"input": [v, d, kind], "expected": format(v, f".{d}{kind}")}
        for v in values
        for d in (0, 1, 2, 3, 4)
        for kind in ("f", "g")
        if not (kind == "g" and d == 0)
    ]
    bad = mismatches(
        explorer_page,
        """([v, d, kind]) => kind === "f" ? widgets.formatF(v, d) : widgets.formatG(v, d)""",
        rows,
    )
    assert not bad, bad
    halves = [{"input": v, "expected": float(np.round(v))} for v in np.arange(0, 260, 0.25).tolist()]
    assert not mismatches(explorer_page, "(v) => arithmetic.roundHalfEven(v)", halves)


def test_the_table_is_not_empty_and_a_wrong_answer_is_caught(explorer_page):
    """The comparison itself can fail: a row whose expected answer is wrong is reported."""
    row = {"input": [28, 3, 1, "valid", 1], "expected": {"output": 27}}
    assert mismatches(
        explorer_page, "([s, k, st, p, d]) => ({output: arithmetic.convOutputSize(s, k, st, p, d)})", [row]
    ) == [{**row, "got": {"output": 26}}]
    assert json.dumps(explorer_page.bounds["conv_size"]) == "[3, 28]"
