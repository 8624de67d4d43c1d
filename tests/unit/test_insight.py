"""Looking inside a network: its feature maps, its first filters, and where it looked.

The heat maps are checked on a hand-built network whose answer is known: filter 0 fires on ink
and feeds class 0 only, filter 1 fires on background and feeds class 1 only. Grad-CAM for class
0 must then light up the ink and nothing else; for class 1, the background.
"""

import numpy as np
import pytest

from cnn_core import datasets, evaluation
from cnn_core.models import ConvBlock, ModelConfig
from cnn_core.worker import insight, models

# Two convolutions per block with batch normalisation (what the Strong preset used to be).
TWO_CONV_BN = ModelConfig(
    blocks=(ConvBlock(filters=32, convs=2, batch_norm=True), ConvBlock(filters=64, convs=2, batch_norm=True)),
    dense_units=128,
    dropout=0.3,
)


@pytest.fixture(scope="module")
def ink_vs_background():
    """Conv(2, 1×1): relu(x) and relu(1 - x) -> global average -> Dense(10, softmax) where class
    0 reads only the ink map and class 1 only the background map (weights 10, others 0)."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(28, 28, 1))
    conv = layers.Conv2D(2, 1, activation="relu", name="ink_or_paper")
    maps = conv(inputs)
    pooled = layers.GlobalAveragePooling2D()(maps)
    dense = layers.Dense(10, activation="softmax", name="predictions")
    model = keras.Model(inputs, dense(pooled))
    conv.set_weights(
        [np.array([1.0, -1.0], np.float32).reshape(1, 1, 1, 2), np.array([0.0, 1.0], np.float32)]
    )
    kernel = np.zeros((2, 10), np.float32)
    kernel[0, 0], kernel[1, 1] = 10.0, 10.0
    dense.set_weights([kernel, np.zeros(10, np.float32)])
    return model


# The region a hand-built network reads: image rows 0-11 and columns 16-27 (top right), which
# are the cells rows 0-2, columns 4-6 of its 7×7 last conv grid (4×4 pixels per cell).
REGION_CELLS = (slice(0, 3), slice(4, 7))


def region_reader(separate_softmax: bool = False):
    """A network whose answer depends on ONE region, with weights set by hand.

    "bright" = ReLU(x - 0.5) (ink only, not the faint noise) -> 4×4 max-pool to 7×7 -> "last"
    conv, two 1×1 maps: ink (2·bright) and paper (ReLU(1 - 2·bright)) -> flatten -> Dense(2):
    class 1 reads the ink map in the top-right cells only, class 0 the ink map everywhere else
    (weights 10, all others 0). ``separate_softmax``: a linear Dense and a Softmax layer.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=(28, 28, 1))
    bright = layers.Conv2D(1, 1, activation="relu", name="bright")
    last = layers.Conv2D(2, 1, activation="relu", name="last")
    dense = layers.Dense(2, activation=None if separate_softmax else "softmax", name="predictions")
    x = layers.Flatten()(last(layers.MaxPooling2D(4)(bright(inputs))))
    outputs = layers.Softmax()(dense(x)) if separate_softmax else dense(x)
    model = keras.Model(inputs, outputs)
    bright.set_weights([np.ones((1, 1, 1, 1), np.float32), np.array([-0.5], np.float32)])
    last.set_weights(
        [np.array([2.0, -2.0], np.float32).reshape(1, 1, 1, 2), np.array([0.0, 1.0], np.float32)]
    )
    kernel = np.zeros((7, 7, 2, 2), np.float32)  # (row, column, map, class), flatten's order
    kernel[:, :, 0, 0] = 10.0
    kernel[REGION_CELLS[0], REGION_CELLS[1], 0, 0] = 0.0
    kernel[REGION_CELLS[0], REGION_CELLS[1], 0, 1] = 10.0
    dense.set_weights([kernel.reshape(98, 2), np.zeros(2, np.float32)])
    return model


def square_at(row: int, col: int) -> np.ndarray:
    """Faint noise (0-39) with an 8×8 white square whose top-left pixel is (row, col)."""
    image = np.random.default_rng(row * 28 + col).integers(0, 40, (28, 28)).astype(np.uint8)
    image[row : row + 8, col : col + 8] = 255
    return image


def share_in(heat: np.ndarray, row: int, col: int, margin: int = 2) -> float:
    """The fraction of the heat within the 8×8 square at (row, col), plus ``margin`` pixels."""
    box = heat[max(row - margin, 0) : row + 8 + margin, max(col - margin, 0) : col + 8 + margin]
    return float(box.sum() / heat.sum())


class TestGradCamKnownAnswer:
    """Where the answer is known: the class is read from one region, and the map must light it."""

    def test_the_class_read_from_the_top_right_lights_the_square_there_and_nothing_else(self):
        model, image = region_reader(), square_at(4, 16)
        probs = np.asarray(model(datasets.preprocess(image[None]), training=False))[0]
        assert probs.argmax() == 1 and probs.max() > 0.999  # saturated: only the logit has a gradient
        heat = insight.grad_cam(model, image)
        assert heat.layer == "last" and heat.class_index == 1 and heat.coarse.shape == (7, 7)
        lit = np.argwhere(heat.coarse > 0)
        assert {tuple(c) for c in lit} == {(1, 4), (1, 5), (2, 4), (2, 5)}  # the square's cells
        assert share_in(heat.heat, 4, 16) > 0.95  # upsampled onto the square, not transposed
        row, col = np.unravel_index(heat.heat.argmax(), heat.heat.shape)
        assert 4 <= row < 12 and 16 <= col < 24
        assert heat.heat[14:, :14].max() == 0.0  # the opposite corner stays dark

    def test_a_square_elsewhere_is_read_by_the_other_class_and_lit_there(self):
        model, image = region_reader(), square_at(16, 4)  # bottom left, on cell boundaries
        heat = insight.grad_cam(model, image)
        assert heat.class_index == 0
        assert share_in(heat.heat, 16, 4) > 0.95 and heat.heat[:12, 16:].max() == 0.0

    def test_a_softmax_layer_after_the_scores_is_looked_through_as_a_dense_softmax_is(self):
        image = square_at(4, 16)
        fused, separate = region_reader(), region_reader(separate_softmax=True)
        np.testing.assert_allclose(
            insight.grad_cam(separate, image).heat, insight.grad_cam(fused, image).heat, atol=1e-6
        )
        assert insight.grad_cam(separate, image).heat.max() == pytest.approx(1.0)

    def test_what_the_map_cannot_tell_a_class_that_does_not_read_the_region_lights_it_too(self):
        # α_k averages ∂y_c/∂A^k over the whole grid: class 0 reads the ink map everywhere but
        # the top right, so its α for that map is positive, and the map lights wherever ink is,
        # here only in the top right. A hot spot says where a useful map fired, not what the
        # class read there: the page's caption says so.
        heat = insight.grad_cam(region_reader(), square_at(4, 16), class_index=0)
        assert share_in(heat.heat, 4, 16) > 0.95


class TestFeatureMaps:
    def test_every_conv_layer_of_the_tutorial_network_gives_one_map_per_filter(self, tutorial, digit):
        maps = insight.feature_maps(tutorial, digit)
        assert [(name, m.shape) for name, m in maps] == [
            ("block1_conv1", (28, 28, 24)),
            ("block2_conv1", (14, 14, 36)),
        ]
        assert all(m.dtype == np.float32 and m.min() >= 0 for _, m in maps)  # after ReLU

    def test_batch_normalised_blocks_show_all_four_convolutions(self, digit):
        model = models.build_model(TWO_CONV_BN)
        names = [name for name, _ in insight.feature_maps(model, digit)]
        assert names == ["block1_conv1", "block1_conv2", "block2_conv1", "block2_conv2"]

    def test_the_first_map_is_the_convolution_of_the_image_with_the_first_filter(self, tutorial, digit):
        name, maps = insight.feature_maps(tutorial, digit)[0]
        layer = tutorial.get_layer(name)
        kernel, bias = (np.asarray(w) for w in layer.get_weights())
        x = np.pad(digit / 255.0, 1)  # 'same' padding for 3×3
        r, c = 10, 12
        expected = max(0.0, float((x[r : r + 3, c : c + 3] * kernel[:, :, 0, 5]).sum() + bias[5]))
        assert maps[r, c, 5] == pytest.approx(expected, abs=1e-5)

    def test_layer_descriptions_match_the_model_summary(self, tutorial):
        infos = insight.describe_conv_layers(tutorial)
        rows = {row.name: row for row in models.summarize(models.ModelConfig())}
        for info in infos:
            assert info.params == rows[info.name].params
            assert info.output_shape == rows[info.name].output_shape
        assert infos[0].kernel_size == (3, 3) and infos[0].padding == "same"

    def test_sequential_models_work_too(self, digit):
        import keras
        from keras import layers

        model = keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                layers.Conv2D(4, 3),
                layers.Flatten(),
                layers.Dense(10, activation="softmax"),
            ]
        )
        assert insight.feature_maps(model, digit)[0][1].shape == (26, 26, 4)
        assert insight.grad_cam(model, digit).heat.shape == (28, 28)

    def test_a_model_without_convolutions_is_refused(self, digit):
        import keras
        from keras import layers

        inputs = keras.Input((28, 28, 1))
        model = keras.Model(inputs, layers.Dense(10)(layers.Flatten()(inputs)))
        with pytest.raises(ValueError, match="no Conv2D"):
            insight.feature_maps(model, digit)
        with pytest.raises(ValueError, match="no Conv2D"):
            insight.first_layer_filters(model)


class TestFilters:
    def test_the_first_layer_filters_are_its_kernels(self, tutorial):
        kernels = insight.first_layer_filters(tutorial)
        assert kernels.shape == (3, 3, 24)
        np.testing.assert_array_equal(
            kernels, np.asarray(tutorial.get_layer("block1_conv1").kernel)[:, :, 0, :]
        )


class TestWhereItLooked:
    def test_grad_cam_lights_the_ink_for_the_class_that_reads_ink(self, ink_vs_background, digit):
        heat = insight.grad_cam(ink_vs_background, digit, class_index=0)
        ink = digit > 0
        assert heat.heat.shape == (28, 28) and heat.coarse.shape == (28, 28)
        assert heat.heat[~ink].max() < 0.05  # nothing where there is no ink
        np.testing.assert_allclose(heat.heat, digit / digit.max(), atol=0.02)  # ∝ the ink map

    def test_grad_cam_lights_the_background_for_the_class_that_reads_paper(self, ink_vs_background, digit):
        heat = insight.grad_cam(ink_vs_background, digit, class_index=1)
        assert heat.heat[digit == 0].min() > 0.95
        assert heat.heat[digit == 255].max() < 0.05

    def test_saliency_is_nonzero_exactly_on_the_pixels_the_score_reads(self, ink_vs_background, digit):
        heat = insight.saliency(ink_vs_background, digit, class_index=0)
        assert heat.method == "saliency" and heat.layer == "input"
        assert heat.heat[digit > 0].min() > 0.5
        assert heat.heat[digit == 0].max() == 0.0  # ReLU passes no gradient where x = 0

    def test_the_explained_score_is_the_logit_not_the_saturated_probability(self, ink_vs_background, digit):
        # The network is ~100% sure of class 0 or 1; a probability's gradient would vanish,
        # the logit's does not (the heat map is not all zeros).
        probs = evaluation.predict_image(ink_vs_background, digit)
        assert probs.max() > 0.99
        heat = insight.grad_cam(ink_vs_background, digit)
        assert heat.class_index == int(np.argmax(probs)) and heat.heat.max() == pytest.approx(1.0)

    def test_the_logit_probe_reproduces_the_model_after_softmax(self, tutorial, digit):
        probe = insight._probe(tutorial, "scores")
        logits = np.asarray(probe(datasets.preprocess(digit[None]), training=False))
        np.testing.assert_allclose(
            evaluation.softmax(logits)[0], evaluation.predict_image(tutorial, digit), rtol=1e-4, atol=1e-6
        )

    def test_grad_cam_defaults_to_the_last_conv_layer_and_any_layer_can_be_asked(self, tutorial, digit):
        assert insight.grad_cam(tutorial, digit).coarse.shape == (14, 14)
        first = insight.grad_cam(tutorial, digit, layer_name="block1_conv1")
        assert first.layer == "block1_conv1" and first.coarse.shape == (28, 28)
        assert 0.0 <= first.heat.min() and first.heat.max() <= 1.0
        with pytest.raises(ValueError, match="No conv layer named"):
            insight.grad_cam(tutorial, digit, layer_name="fc1")

    def test_images_must_be_28_by_28(self, tutorial):
        with pytest.raises(ValueError, match="28×28"):
            insight.saliency(tutorial, np.zeros((32, 32), np.uint8))
