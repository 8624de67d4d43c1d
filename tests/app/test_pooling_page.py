"""The Pooling page: a student pools a grid of numbers and a real image, and reads what it keeps."""

from __future__ import annotations

import json

PAGE = "app_pages/pooling.py"


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def text(at) -> str:
    parts = [e.value for kind in ("markdown", "caption", "warning", "error", "info") for e in getattr(at, kind)]
    return "\n".join(parts + [latex.value for latex in at.latex])


def pooled_numbers(at) -> list[str]:
    """The labels of the pooled grid, in reading order, as the chart draws them."""
    assert _dataset(at, "pool_output_title")["title"][0].endswith("pooled " + metrics(at)["Output"])
    return [str(v) for v in _dataset(at, "pool_output")["label"]]


def _dataset(at, name: str):
    import pyarrow as pa

    element = at.get("vega_lite_chart")[0].proto
    data = next(d for d in element.datasets if d.name == name)
    return pa.ipc.open_stream(data.data.data).read_all().to_pandas()


# --- Opening the page ---------------------------------------------------------------------------


def test_the_page_opens_on_2x2_max_pooling_of_a_6x6_grid_with_no_weights(page):
    assert page.title[0].value.startswith("Pooling")
    assert metrics(page) == {"Output": "3×3", "Parameters": "0", "Values out": "9"}
    assert "6×6 = 36 values in, 3×3 = 9 out: 4× fewer." in text(page)
    assert r"\left\lfloor \dfrac{6 - 2}{2} \right\rfloor + 1" in text(page)
    assert "layers.MaxPooling2D((2, 2))" == page.code[0].value


def test_each_window_shows_its_numbers_and_what_it_keeps(page):
    grid = _dataset(page, "pool_input")
    first = sorted(float(v) for v in grid[(grid["row"] < 2) & (grid["column"] < 2)]["value"])
    assert f"= **{first[-1]:g}**" in text(page)  # max of window 0
    assert pooled_numbers(page)[0] == f"{first[-1]:.0f}"
    page.radio(key="pool_mode").set_value("average").run()
    assert f"= **{sum(first) / 4:.2f}**" in text(page)
    assert "layers.AveragePooling2D((2, 2))" == page.code[0].value


# --- Changing pool size, stride and padding --------------------------------------------------------


def test_stride_defaults_to_the_pool_size_as_in_keras(page):
    page.slider(key="pool_size").set_value(3).run()
    assert metrics(page)["Output"] == "2×2"
    page.checkbox(key="pool_keras_stride").uncheck().run()
    page.slider(key="pool_stride").set_value(1).run()
    assert metrics(page)["Output"] == "4×4"
    assert "overlap" in text(page)
    assert "strides=(1, 1)" in page.code[0].value


def test_an_odd_grid_drops_its_last_row_with_valid_and_keeps_it_with_same(page):
    page.slider(key="pool_grid").set_value(7).run()
    assert metrics(page)["Output"] == "3×3"
    assert "drops the last 1 row" in text(page)
    page.radio(key="pool_padding").set_value("same").run()
    assert metrics(page)["Output"] == "4×4"
    assert r"\left\lceil \dfrac{7}{2} \right\rceil" in text(page)
    assert "never wins a max" in text(page)


def test_a_window_at_the_padded_edge_pools_only_real_numbers(page):
    page.slider(key="pool_grid").set_value(5).run()
    page.radio(key="pool_padding").set_value("same").run()
    page.slider(key="pool_window").set_value(2).run()  # top-right window hangs over the edge
    assert "only 2 real numbers" in text(page)


def test_a_pool_larger_than_the_grid_explains_itself(page):
    page.slider(key="pool_grid").set_value(3).run()
    page.slider(key="pool_size").set_value(4).run()
    assert not page.exception
    assert "4×4 pooling window does not fit in a 3×3 input" in page.error[0].value


# --- The real image -----------------------------------------------------------------------------


def test_a_real_digit_shrinks_4x_with_2x2_pooling(page):
    assert "Shape (28, 28, 1) → (14, 14, 1)" in text(page) and "4× fewer" in text(page)
    page.slider(key="pool_size").set_value(3).run()
    assert "(28, 28, 1) → (9, 9, 1)" in text(page)


def test_the_grid_can_be_a_shrunken_digit(page):
    page.radio(key="pool_source").set_value("digit").run()
    grid = _dataset(page, "pool_input")
    assert grid["value"].max() > 9, "pixel values 0-255, not 0-9"
    page.radio(key="pool_dataset").set_value("fashion_mnist").run()
    assert not page.exception


# --- Words that fit what the student sees --------------------------------------------------------------


def test_the_same_note_says_how_the_padding_splits_even_or_odd(page):
    page.radio(key="pool_padding").set_value("same").run()
    page.slider(key="pool_grid").set_value(5).run()  # 5×5, 2×2 pool, stride 2: 1 zero, after
    assert "adds 0 before and 1 after: the total, 1, is odd, so the extra one goes after" in text(page)
    page.checkbox(key="pool_keras_stride").uncheck().run()
    page.slider(key="pool_stride").set_value(1).run()
    page.slider(key="pool_size").set_value(3).run()  # 3×3 pool, stride 1: 2 zeros, 1 each side
    described = text(page)
    assert "adds 1 on each side (the total, 2, splits evenly)" in described
    assert "odd one" not in described and "extra one" not in described


def test_every_metric_value_is_short_enough_for_its_box(page):
    for grid in (3, 7, 10):
        page.slider(key="pool_grid").set_value(grid).run()
        page.slider(key="pool_size").set_value(1).run()  # the largest output: grid×grid
        assert all(len(value) <= 5 for value in metrics(page).values()), metrics(page)
        assert f"{grid * grid} values in, {grid}×{grid} = {grid * grid} out" in text(page)


def test_averages_of_a_digit_are_whole_numbers_that_fit_their_cells(page):
    page.radio(key="pool_source").set_value("digit").run()
    page.radio(key="pool_mode").set_value("average").run()
    page.slider(key="pool_grid").set_value(10).run()
    labels = pooled_numbers(page)
    assert labels and all("." not in label for label in labels), labels
    assert "rounded to whole numbers in the cells" in text(page)
    spec = json.loads(page.get("vega_lite_chart")[0].proto.spec)
    cell = spec["hconcat"][0]["width"] // len(set(_dataset(page, "pool_input")["x"]))
    fonts = [layer["mark"]["fontSize"] for layer in spec["hconcat"][1]["layer"]
             if layer["mark"]["type"] == "text" and layer["data"]["name"] == "pool_output"]
    assert fonts and 0.6 * fonts[0] * max(map(len, labels)) <= cell - 4
