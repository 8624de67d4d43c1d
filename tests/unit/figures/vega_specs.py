"""Reading back what a Vega-Lite spec of :mod:`cnn_core.figures.vega` draws, for the figure tests."""

from __future__ import annotations

import json


def roles(spec, name="input"):
    """{(row, column): role} of a role-coloured grid dataset."""
    frame = spec["datasets"][name]
    return {(int(r), int(c)): role for r, c, role in zip(frame["row"], frame["column"], frame["role"])}


def outlines(spec, view=0):
    """The rectangles (x, x2, y, y2) drawn unfilled in a view, in order (inline or by dataset name)."""
    boxes = []
    for layer in spec["hconcat"][view]["layer"]:
        if layer["mark"].get("fill", 1) is not None:
            continue
        data = layer.get("data", {})
        rows = data["values"] if "values" in data else spec["datasets"][data["name"]].to_dict("records")
        boxes += [{k: int(v) for k, v in box.items()} for box in rows]
    return boxes


def bare(spec):
    """The spec without its data: what the browser compares to decide whether to rebuild a chart."""
    return json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)


def assert_json_apart_from_its_data_frames(spec):
    json.dumps({k: v for k, v in spec.items() if k != "datasets"})
    assert spec["datasets"], "the data travel as frames, not inline"
