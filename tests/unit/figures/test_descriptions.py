"""Every figure's one-line text alternative (its ``alt``) says what the figure shows, with the
figure's own numbers: tested here against small inputs whose answer is known."""

from types import SimpleNamespace

import numpy as np

from cnn_core import models
from cnn_core.figures import dataset, insight, model, training


def test_dataset_descriptions_count_what_is_shown():
    labels = np.array([0, 1, 1, 2, 1])
    names = ("zero", "one", "two")
    grid = dataset.sample_grid_description(labels, np.array([1, 2, 4, 0]), names)
    assert grid.startswith("4 training images in a 6×6 grid") and grid.endswith(": 3 one, 1 zero.")
    assert dataset.mean_image_description(names).startswith(
        "3 blurred silhouettes, one per class (zero to two)"
    )
    table = dataset.class_count_table(labels, np.array([0, 1, 2, 2]), names)
    assert dataset.class_count_description(table) == (
        "Bars of each class's share of the training images (20.0% to 60.0%) and of the test images "
        "(25.0% to 50.0%), for 3 classes."
    )
    counts = np.zeros(256, np.int64)
    counts[0], counts[255] = 3, 1
    assert dataset.pixel_histogram_description(counts) == (
        "Histogram of 4 pixel values 0 to 255: 75.0% are 0 (background), 25.0% are 128 or more (ink), mean "
        "63.8."
    )
    image = np.zeros((28, 28), np.uint8)
    image[10, 10] = 255
    assert dataset.preprocessing_description(image, 8, 9) == (
        "The image with a 8×8 window at rows 8–15, columns 9–16; its values as uint8 from 0 to 255; "
        "and the same values divided by 255, from 0.00 to 1.00."
    )


def test_the_shape_flow_names_every_step():
    rows = models.summarize(models.PRESETS["tutorial"])  # without TensorFlow
    text = model.shape_flow_description(rows)
    assert text.startswith("Shape flow of the network, from image to prediction: input 28×28×1 → conv")
    assert text.endswith("softmax 10.") and text.count("→") == len(model._diagram_nodes(rows)) - 1


def test_training_curves_say_where_they_start_and_end():
    assert training.curve_description([2.3, 0.9, 0.5, 0.6], "loss", "batch") == (
        "Loss (cross-entropy) per batch over 4 batches: 2.30 at first, 0.60 at the end, lowest 0.50."
    )
    assert training.curve_description([], "accuracy", "epoch") == "Accuracy per epoch: nothing measured yet."
    history = [
        SimpleNamespace(epoch=1, loss=0.6, accuracy=0.8, val_loss=0.5, val_accuracy=0.85),
        SimpleNamespace(epoch=2, loss=0.4, accuracy=0.9, val_loss=0.45, val_accuracy=0.875),
    ]
    assert training.epoch_curve_description(history, "accuracy") == (
        "Accuracy per epoch over 2 epochs: 80.0% at first, 90.0% at the end, highest 90.0%; "
        "validation at the end 87.5%."
    )
    assert training.learning_curve_description(history) == (
        "Learning curve over 2 epochs: training accuracy 80.0% → 90.0%, training loss 0.60 → 0.40; "
        "validation accuracy at the end 87.5%."
    )


def test_insight_descriptions_name_the_answer_and_the_strongest_place():
    p = np.array([0.05, 0.7, 0.2] + [0.05 / 7] * 7)
    names = tuple(str(i) for i in range(10))
    assert (
        insight.digit_description(p, names) == "The image and its ten probabilities: 1 70%, runner-up 2 20%."
    )
    assert insight.digit_description(p, names, 2).endswith("(✗ wrong: it is 2).")
    heat = np.zeros((28, 28))
    heat[3, 20] = 1
    assert "strongest at row 3, column 20" in insight.heatmap_description(heat, "Grad-CAM at conv2")
    maps = np.zeros((5, 5, 4), np.float32)
    maps[1, 1, 0] = 1
    assert insight.feature_maps_description(maps, "conv1").endswith("3 of them all flat.")
    assert insight.filters_description(np.ones((3, 3, 8)) * 0.5).startswith(
        "8 first-layer filters of 3×3 weights"
    )
