"""The explorers drawn in the browser: Convolution, Pooling and transposed convolution, each one
Streamlit v2 component made of the plain files beside this module (no build step, no CDN).

A slider step is computed and drawn in the browser, in the same frame, without a rerun:
``arithmetic.js`` answers what ``cnn_core.shapes`` and ``cnn_core.kernels`` answer (checked in
Chromium on every setting the controls allow, tests/e2e/test_explorer_arithmetic.py). Python sends
the data once (bounds, labels, kernels, the test images) and the settings it wants shown; once the
controls have rested 250 ms the component reports its settings, which :func:`explorer` puts in the
session's keys (the page's URL parameters), so the address bar, the share link, the Keras line and
the quiz keep up.

Settings flow one way at a time. Python imposes settings on the browser only when it changed them
itself (a link, a button, the explorer mounted afresh): they travel in the data with a new
``revision``, which the browser applies; otherwise the browser's own values stand, and feeding its
reports back would reset a control the learner is moving.
"""

from __future__ import annotations

import base64
import functools
import io
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import streamlit as st
from PIL import Image

from cnn_core.datasets import CLASS_NAMES, DATASET_NAMES, DATASET_TITLES, IMAGE_SIZE, NUM_CLASSES
from ui import dataset_upload, url_state

ASSETS = Path(__file__).parent
SHARED_JS = ("arithmetic.js", "widgets.js")  # before each explorer's own file, in one module
EXAMPLES_PER_CLASS = 10  # test images of each class the explorers offer (the "Example" control)
# Per explorer (``key`` is its component's key): the settings Python last sent, the revision and
# values it must show, and the id of the browser's last report applied.
EXPECTED_KEY = "_{key}_expected"
SHOWN_KEY = "_{key}_shown"
APPLIED_KEY = "_{key}_applied"


@functools.cache
def _mount(name: str) -> Callable[..., Any]:
    """The component ``name`` (its JS module: the shared files, then ``<name>.js``), registered once."""
    js = "\n".join((ASSETS / file).read_text() for file in (*SHARED_JS, f"{name}.js"))
    css = (ASSETS / "explorers.css").read_text()
    return st.components.v2.component(f"cnn_explorer_{name}", js=js, css=css)


def explorer(
    name: str, key: str, params: Mapping[str, url_state.Param], data: Callable[[], dict[str, Any]]
) -> None:
    """Mount the explorer ``name`` under ``key``, after taking in the settings it last reported.

    ``params`` are the settings it reports, by session key (values already in session state, put
    there by :func:`url_state.bind`); ``data()`` builds everything else it draws from, from the
    settings as they are once the report is in. After this call the session's keys hold what the
    learner settled on.
    """
    expected, shown, applied = (k.format(key=key) for k in (EXPECTED_KEY, SHOWN_KEY, APPLIED_KEY))
    fresh = key not in st.session_state  # Streamlit forgets a component's state once it is not drawn
    report = {} if fresh else (st.session_state[key] or {}).get("settings")
    if isinstance(report, dict) and report.get("id") not in (None, st.session_state.get(applied)):
        st.session_state[applied] = report["id"]
        settled = _valid(report.get("values"), params)
        st.session_state.update(settled)
        st.session_state[expected] = {**st.session_state.get(expected, {}), **settled}
    values = {k: st.session_state[k] for k in params}
    if fresh or st.session_state.get(expected) != values:  # Python changed them: the browser must show them
        revision = st.session_state.get(shown, (0, None))[0] + 1
        st.session_state[shown] = (revision, values)
        st.session_state[expected] = values
    revision, imposed = st.session_state[shown]
    # The imposed settings stay as they were until Python imposes again: data that changed with
    # every report would make the browser rebuild its controls under the learner's hand.
    _mount(name)(key=key, data={**data(), "settings": imposed, "revision": revision})


def _valid(values: Any, params: Mapping[str, url_state.Param]) -> dict[str, Any]:
    """The reported values that are settings of ``params`` within their bounds (the browser is
    the learner's: a value it should not send is dropped, never trusted)."""
    if not isinstance(values, dict):
        return {}
    kept = {}
    for key, value in values.items():
        param = params.get(key)
        if param is None or isinstance(value, (dict, list)):
            continue
        try:
            kept[key] = param.parse(param.format(value))
        except (ValueError, TypeError):
            continue
    return kept


def bounds(params: Mapping[str, url_state.Param]) -> dict[str, list[int]]:
    """[lowest, highest] of every whole-number setting, as its URL parameter states them."""
    return {k: [p.lo, p.hi] for k, p in params.items() if isinstance(p, url_state.Int)}


def shared_data(labels: Mapping[str, str]) -> dict[str, Any]:
    """What every explorer is told: its labels, the controls a link hides, whether to offer
    number boxes instead of sliders ("Type exact values"), and the test images to pick from."""
    return {
        "labels": dict(labels),
        "hidden": sorted(url_state.hidden_keys()),
        "exact": url_state.exact_entry(),
        "image_size": IMAGE_SIZE,
        "datasets": [example_images(name) for name in DATASET_NAMES],
    }


def example_images(name: str) -> dict[str, Any]:
    """The test images the explorers pick from for dataset ``name`` (the session's upload when it
    is read as ``name``): EXAMPLES_PER_CLASS of each class, as one grey PNG sprite (a row per
    class), with the class names and the classes that have no test image."""
    return _sprite(name, *dataset_upload.test_set(name))


@st.cache_resource(max_entries=16, show_spinner=False)
def _sprite(name: str, identity: str, _x: np.ndarray, _y: np.ndarray) -> dict[str, Any]:
    """:func:`example_images` for one test set, built once per process (``identity`` names it)."""
    side = IMAGE_SIZE
    sprite = np.zeros((NUM_CLASSES * side, EXAMPLES_PER_CLASS * side), dtype=np.uint8)
    missing = []
    for label in range(NUM_CLASSES):
        candidates = np.flatnonzero(_y == label)
        if len(candidates) == 0:
            missing.append(label)
            continue
        for example in range(EXAMPLES_PER_CLASS):
            image = _x[candidates[example % len(candidates)]]
            sprite[label * side : (label + 1) * side, example * side : (example + 1) * side] = image
    png = io.BytesIO()
    Image.fromarray(sprite, mode="L").save(png, format="PNG", optimize=True)
    return {
        "name": name,
        "title": DATASET_TITLES[name],
        "classes": list(CLASS_NAMES[name]),
        "per_class": EXAMPLES_PER_CLASS,
        "missing": missing,
        "sprite": "data:image/png;base64," + base64.b64encode(png.getvalue()).decode(),
    }
