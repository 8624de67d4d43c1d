"""cnn_core.figures.vega: the image heatmaps both grid pages share."""

from __future__ import annotations

import numpy as np

from cnn_core.figures import vega
from tests.unit.figures.vega_specs import assert_json_apart_from_its_data_frames


def test_every_spec_is_json_apart_from_its_data_frames():
    for spec in (
        vega.image_chart(np.eye(5), "a", name="a"),
        vega.image_chart(-np.eye(3), "b", name="b"),
        vega.framed_map_chart(np.eye(3), "c", frame=5),
    ):
        assert_json_apart_from_its_data_frames(spec)


def test_images_keep_zero_white_and_signed_maps_diverge_around_it():
    grey = vega.image_chart(np.arange(4.0).reshape(2, 2), "grey")
    signed = vega.image_chart(np.array([[-2.0, 1.0], [0.0, 0.5]]), "signed")
    grey_scale = grey["layer"][0]["encoding"]["color"]["scale"]
    signed_scale = signed["layer"][0]["encoding"]["color"]["scale"]
    assert grey_scale["range"][0] == "#ffffff" and grey_scale["domain"] == [0, 3.0]
    assert signed_scale["domain"] == [-2.0, 0, 2.0] and signed_scale["range"][1] == "#ffffff"
    assert (grey["width"], grey["height"]) == (18, 18)
