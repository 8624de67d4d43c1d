"""Dataset: what the network will see (tutorial § 1.3.2). The data stays uint8 as loaded; only
the one image followed through the preprocessing is scaled."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn_core import datasets
from cnn_core.figures import dataset as dataset_figures
from ui import dataset_upload, url_state
from ui.common import DATASET_KEY, cached_png, current_dataset, current_dataset_name

# Widget keys (Streamlit deletes them when the learner leaves the page); the upload's are in
# ui.dataset_upload. Each is also its setting's URL parameter.
NAME_KEY = "dataset_page_name"
SEED_KEY = "dataset_page_seed"
CLASS_KEY = "dataset_page_class"
LOG_KEY = "dataset_page_log"
IMAGE_KEY = "dataset_page_image"
ALL_CLASSES = -1
MAX_IMAGE_INDEX = 59_999  # the largest training set offered (Keras' 60,000); the page checks its own

SETTINGS: dict[str, url_state.Param] = {
    # A fixed default (not the session's dataset), so a link made on Fashion-MNIST says so.
    NAME_KEY: url_state.Choice("mnist", list(datasets.DATASET_NAMES)),
    CLASS_KEY: url_state.Int(ALL_CLASSES, ALL_CLASSES, datasets.NUM_CLASSES - 1),
    SEED_KEY: url_state.Int(0, 0, 9_999),
    LOG_KEY: url_state.Bool(True),
    IMAGE_KEY: url_state.Int(0, 0, MAX_IMAGE_INDEX),
}
LABELS = {
    NAME_KEY: "Dataset",
    CLASS_KEY: "Class filter of the grid",
    SEED_KEY: "Seed and Shuffle",
    LOG_KEY: "Logarithmic count axis",
    IMAGE_KEY: "Training image to follow",
}


def on_name_change() -> None:
    """A dataset chosen: it becomes the session's dataset; an upload keeps its images and
    takes that dataset's class names (the upload's labels follow the chosen name)."""
    name = st.session_state[NAME_KEY]
    st.session_state[DATASET_KEY] = name
    dataset_upload.relabel(name)


def shuffle() -> None:
    st.session_state[SEED_KEY] = int(np.random.default_rng().integers(0, SETTINGS[SEED_KEY].hi + 1))


def class_text(class_names: tuple[str, ...], label: int) -> str:
    """How a class is named on the page: "7" for a digit, "9 (Ankle boot)" for clothes."""
    name = class_names[label]
    return name if name == str(label) else f"{label} ({name})"


def data_token(data: datasets.Dataset) -> str:
    """A cache key naming this dataset's arrays: stable for the shared built-in copies, and
    the arrays' identity for an upload (a relabelled upload shares its arrays)."""
    if data.source == "file":
        return f"file:{id(data.x_train)}:{len(data.y_train)}:{len(data.y_test)}"
    return f"{data.name}:{data.source}:{len(data.y_train)}:{len(data.y_test)}"


@st.cache_data(max_entries=8, show_spinner="Averaging the images of each class…")
def cached_means(token: str, _images: np.ndarray, _labels: np.ndarray) -> np.ndarray:
    return dataset_figures.class_means(_images, _labels)


@st.cache_data(max_entries=8, show_spinner="Counting pixel values…")
def cached_pixel_counts(token: str, _images: np.ndarray) -> np.ndarray:
    return dataset_figures.pixel_counts(_images)


def render() -> None:
    intro()
    name = dataset_choice()
    dataset_upload.upload_box(name)
    data = loaded_data()
    source_badge(data)
    sizes(data)
    sample_grid()
    class_counts(data)
    mean_images(data)
    pixel_values(data)
    preprocessing(data)
    url_state.share_box(SETTINGS, LABELS)
    url_state.sync(SETTINGS)  # the image index may have been brought back into range


def intro() -> None:
    st.title("Dataset: what the network will see")
    st.markdown(
        "Look at the **28×28 grey images** the network learns from, how many there are of each "
        "class, and the **numbers** each picture really is, before and after the tutorial's "
        "preprocessing."
    )


def dataset_choice() -> str:
    """The dataset radio, and the name it chose. It starts on the session's dataset (chosen here
    or on another page) unless a link says otherwise; a linked dataset becomes the session's."""
    if NAME_KEY not in st.session_state:
        st.session_state[NAME_KEY] = current_dataset_name()
    url_state.bind(SETTINGS)
    if st.session_state[NAME_KEY] != current_dataset_name():
        on_name_change()
    if url_state.shown(NAME_KEY):
        st.radio(
            LABELS[NAME_KEY],
            datasets.DATASET_NAMES,
            key=NAME_KEY,
            horizontal=True,
            format_func=datasets.DATASET_TITLES.get,
            on_change=on_name_change,
            help="MNIST: handwritten digits. Fashion-MNIST: photos of clothes, the tutorial's exercise.",
        )
    name = st.session_state[NAME_KEY]
    st.session_state[DATASET_KEY] = name
    return name


def loaded_data() -> datasets.Dataset:
    """The session's dataset (its upload, or a built-in one); the page stops if it cannot load."""
    try:
        return current_dataset()
    except ValueError as exc:  # a built-in dataset that cannot be loaded at all
        st.error(f"The dataset cannot be loaded: {exc}")
        st.stop()


def source_badge(data: datasets.Dataset) -> None:
    """Where the images come from: Keras's download, the bundled sample, or the learner's file."""
    badge_icon, badge_colour = {
        "keras": (":material/cloud_done:", "green"),
        "bundled": (":material/inventory_2:", "blue"),
        "file": (":material/upload_file:", "violet"),
    }[data.source]
    origin = f" ({dataset_upload.file_name()})" if data.source == "file" else ""
    st.badge(f"{data.title}{origin} · {data.source_label}", icon=badge_icon, color=badge_colour)
    if data.note:
        st.caption(data.note)


def sizes(data: datasets.Dataset) -> None:
    """How many images, how they split, and each one's shape, as the tutorial prints them."""
    n_train, n_test = len(data.y_train), len(data.y_test)
    cols = st.columns(4)
    cols[0].metric("Training images", f"{n_train:,}")
    cols[1].metric("Test images", f"{n_test:,}")
    cols[2].metric(
        "Split", f"{100 * n_train / (n_train + n_test):.0f}% / {100 * n_test / (n_train + n_test):.0f}%"
    )
    cols[3].metric(
        "Each image",
        f"{data.x_train.shape[1]}×{data.x_train.shape[2]}×1",
        help="Height × width × channels: one grey channel.",
    )
    st.code(
        f'print(f"Train Images:{{train_images.shape}}")   # Train Images:{data.x_train.shape}\n'
        f'print(f"Test Images:{{test_images.shape}}")     # Test Images:{data.x_test.shape}',
        language="python",
        wrap_lines=True,
    )


@st.fragment
def sample_grid() -> None:
    """The grid and its controls; a fragment, so Shuffle redraws this part alone. It fetches the
    dataset each time it runs: the session keeps a fragment's arguments, and a dataset kept there
    would stay in memory after the server lets the shared copies go between lessons."""
    data = loaded_data()
    st.subheader("36 random training images")
    st.markdown(
        "What the learner looks at: the tutorial's `np.random.choice` grid, each picture drawn with "
        "`cmap=plt.cm.binary` (0 = white, 255 = black) and labelled with its class and its index."
    )
    grid_col, controls = st.columns([3, 2], gap="large")
    options = [ALL_CLASSES, *range(len(data.class_names))]
    if url_state.shown(CLASS_KEY):
        names = data.class_names  # the session keeps a widget's format function: names, not images
        controls.selectbox(
            "Show",
            options,
            key=CLASS_KEY,
            format_func=lambda c: "all classes" if c == ALL_CLASSES else f"only {class_text(names, c)}",
        )
    label = st.session_state[CLASS_KEY]
    if url_state.shown(SEED_KEY):
        seed_col, button_col = controls.columns(2, vertical_alignment="bottom")
        with seed_col:
            url_state.number_input(
                "Seed", SEED_KEY, SETTINGS, step=1, help="The same seed gives the same images."
            )
        button_col.button("Shuffle", on_click=shuffle, icon=":material/shuffle:", width="stretch")
    # A Shuffle or a filter reruns this fragment alone, past the page's bind: the URL follows here.
    url_state.sync(SETTINGS)
    indices = dataset_figures.grid_indices(
        data.y_train, int(st.session_state[SEED_KEY]), label=None if label == ALL_CLASSES else label
    )
    if len(indices) == 0:
        grid_col.warning(f"The training images hold no {class_text(data.class_names, label)}.")
        return
    grid_col.image(
        cached_png(
            "grid",
            f"{data_token(data)}|{st.session_state[SEED_KEY]}/{label}",
            lambda: dataset_figures.sample_grid_figure(data.x_train, data.y_train, indices, data.class_names),
        ),
        alt=dataset_figures.sample_grid_description(data.y_train, indices, data.class_names),
    )
    controls.markdown(
        f"Under each picture: its label, then its index in `train_images` (0 to {len(data.y_train) - 1:,}). "
        "Type an index below, in *Preprocessing*, to see that image's numbers."
    )
    if label == ALL_CLASSES:
        controls.info(
            "**Notice:** the same class can be drawn in very different ways; the network "
            "must learn what they share. Filter to one class to see it.",
            icon=":material/lightbulb:",
        )
    else:
        controls.info(
            f"**Notice:** all {len(indices)} are {class_text(data.class_names, label)}, yet no two look "
            "alike; compare them with this class's mean image below.",
            icon=":material/lightbulb:",
        )


def class_counts(data: datasets.Dataset) -> None:
    """Images per class in each split, and whether plain accuracy is a fair score."""
    st.subheader("How many images of each class")
    table = dataset_figures.class_count_table(data.y_train, data.y_test, data.class_names)
    left, right = st.columns([3, 2], gap="large")
    left.altair_chart(
        dataset_figures.class_count_chart(table),
        width="stretch",
        alt=dataset_figures.class_count_description(table),
    )
    digits = all(name == str(i) for i, name in enumerate(data.class_names))
    right.dataframe(table.drop(columns="class") if digits else table, hide_index=True, width="stretch")
    shares = table["train %"]
    low, high = f"{shares.min():.1f}", f"{shares.max():.1f}"  # as the reader sees them
    st.markdown(
        "Share of a class = its images / all images of the split: "
        + (
            f"here every class has **{low}%** of the {len(data.y_train):,} training images"
            if low == high
            else f"here from **{low}%** to **{high}%** of {len(data.y_train):,} training images"
        )
        + f" ({100 / len(data.class_names):g}% each if perfectly balanced)."
    )
    if shares.max() - shares.min() <= 2:
        st.info(
            "**Notice:** the classes are balanced, so plain accuracy is a fair score: a network "
            "that always guessed one class would be right only about 10% of the time.",
            icon=":material/lightbulb:",
        )
    else:
        st.warning(
            f"**Notice:** the classes are unbalanced ({shares.min():.1f}% to {shares.max():.1f}%): "
            f"always guessing the largest class would already score {shares.max():.1f}%."
        )


def mean_images(data: datasets.Dataset) -> None:
    """The pixel-by-pixel mean of each class: a sharp silhouette, or a blur where it varies."""
    st.subheader("The average image of each class")
    means = cached_means(data_token(data), data.x_train, data.y_train)
    means_col, text_col = st.columns([3, 2], gap="large")
    means_col.image(
        cached_png(
            "means",
            f"{data_token(data)}|{','.join(data.class_names)}",
            lambda: dataset_figures.mean_image_figure(means, data.class_names),
        ),
        alt=dataset_figures.mean_image_description(data.class_names),
    )
    text_col.markdown(
        "Each panel is the pixel-by-pixel mean of every training image of one class:\n\n"
        "mean[r, c] = (x₁[r, c] + x₂[r, c] + … + xₙ[r, c]) / n\n\n"
        f"with n = {int(np.count_nonzero(data.y_train == 0)):,} images for class "
        f"{class_text(data.class_names, 0)}."
    )
    text_col.info(
        "**Notice:** a sharp silhouette means the class is drawn in much the same place and shape; "
        "a blur means it varies. A convolution looks for the same small pattern everywhere in the "
        "picture, so it copes with that variety better than a fixed template would.",
        icon=":material/lightbulb:",
    )


def pixel_values(data: datasets.Dataset) -> None:
    """The histogram of every training pixel: mostly background 0, a little ink."""
    st.subheader("Pixel values")
    counts = cached_pixel_counts(data_token(data), data.x_train)
    stats = dataset_figures.pixel_stats(counts)
    if url_state.shown(LOG_KEY):
        st.toggle(
            LABELS[LOG_KEY],
            key=LOG_KEY,
            help="The background bar is so tall that, on a linear axis, the others all but vanish.",
        )
    log = st.session_state[LOG_KEY]
    st.altair_chart(
        dataset_figures.pixel_histogram_chart(counts, log_scale=log),
        width="stretch",
        alt=dataset_figures.pixel_histogram_description(counts),
    )
    st.markdown(
        f"Of all {int(counts.sum()):,} training pixels, **{stats.zero_pct:.1f}%** are exactly 0 "
        f"(background) and **{stats.ink_pct:.1f}%** are 128 or more (ink); the mean is "
        f"{stats.mean:.1f} of 255, which is {stats.mean / 255:.3f} after dividing by 255."
    )


def preprocessing(data: datasets.Dataset) -> None:
    """The tutorial's preprocessing cell followed on one training image, one step at a time."""
    n_train = len(data.y_train)
    st.subheader("Preprocessing, step by step")
    st.markdown("The tutorial's cell, which adds a channel axis and scales to [0, 1]:")
    st.code(
        "train_images = (np.expand_dims(train_images, axis=-1)/255.).astype(np.float32)\n"
        "train_labels = (train_labels).astype(np.int64)",
        language="python",
        wrap_lines=True,
    )
    if st.session_state[IMAGE_KEY] > n_train - 1:  # a link (or an earlier, larger upload) past the end
        st.warning(
            f"This dataset has {n_train:,} training images, so there is no image "
            f"#{st.session_state[IMAGE_KEY]:,}; showing image #0 instead.",
            icon=":material/link_off:",
        )
        st.session_state[IMAGE_KEY] = 0
    if url_state.shown(IMAGE_KEY):
        with st.columns(3)[0]:
            url_state.number_input(
                f"Training image to follow (0–{n_train - 1:,})",
                IMAGE_KEY,
                SETTINGS,
                max_value=n_train - 1,
                step=1,
                help="The index printed under each picture of the grid.",
            )
    index = st.session_state[IMAGE_KEY]
    image = data.x_train[int(index)]
    one = datasets.preprocess(image[np.newaxis])  # the one image, exactly as the tutorial scales it
    shape = dataset_figures.preprocessed_shape(data.x_train)
    top, left_col = dataset_figures.detail_window(image)
    # A grey pixel of the window shows the division best (0 and 255 give 0 and 1).
    window = image[top : top + 8, left_col : left_col + 8].astype(int)
    r, c = np.unravel_index(int(np.argmin(np.abs(window - 128))), window.shape)
    r, c = int(r) + top, int(c) + left_col
    label_number = int(data.y_train[int(index)])
    st.markdown(
        f"1. **Before:** `train_images` is {shape.before_shape} **uint8**, values 0–255 "
        f"({shape.before_bytes / 1e6:,.1f} MB).\n"
        f"2. `np.expand_dims(…, axis=-1)` adds the channel axis: {shape.after_shape}. {data.title} is one "
        "grey channel, not RGB as the tutorial says, so that axis has length 1.\n"
        f"3. `/ 255.` then `.astype(np.float32)` scales every pixel into [0, 1]: pixel (row {r}, column {c}) "
        f"of image #{int(index)} is **{int(image[r, c])} → {int(image[r, c])} / 255 = "
        f"{float(one[0, r, c, 0]):.3f}**.\n"
        f"4. **After:** {shape.after_shape} **float32**, values "
        f"{float(one.min()):.1f}–{float(one.max()):.1f} "
        f"({shape.after_bytes / 1e6:,.1f} MB, 4 bytes per pixel instead of 1). The labels become int64: "
        f"image #{int(index)} is labelled {class_text(data.class_names, label_number)}."
    )
    st.image(
        cached_png(
            "preprocessing",
            f"{data_token(data)}|{int(index)}",
            lambda: dataset_figures.preprocessing_figure(image, top, left_col, highlight=(r, c)),
        ),
        alt=dataset_figures.preprocessing_description(image, top, left_col),
    )
    st.info(
        f"**Notice:** the picture is the same; only the numbers' scale changes. The float copy is 4× "
        f"larger ({shape.after_bytes / 1e6:,.1f} MB here, 188 MB for the full 60,000 images), so "
        "this app keeps the uint8 images and scales each batch as it trains (the tutorial's exercise 1, "
        "a tf.data pipeline).",
        icon=":material/lightbulb:",
    )


render()
