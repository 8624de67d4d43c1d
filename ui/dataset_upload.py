"""A learner's own .npz in the Keras layout: the Dataset page's upload box (checked once, kept in
the session under ``ui.common.UPLOAD_KEY``, read as the chosen dataset's classes), and the test
images the Convolution and Pooling pages pick from."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from cnn_core import datasets
from cnn_core.datasets import IMAGE_SIZE
from ui.common import UPLOAD_KEY, bundled_test_images, read_upload

P = "dataset_page_"  # the Dataset page's prefix: these keys keep their names
UPLOADER_W = P + "upload"
SEEN_UPLOAD = P + "seen_upload"  # file_id of the last upload checked, so it is read once
UPLOAD_ERROR = P + "upload_error"  # (file_id, message) of a rejected upload
UPLOAD_FILE_NAME = P + "upload_file_name"  # name of the accepted upload, for the badge


def upload_box(name: str) -> None:
    """An expander to upload an .npz read as ``name``'s classes; a bad file is explained and ignored."""
    has_upload = st.session_state.get(UPLOAD_KEY) is not None
    with st.expander("Use your own .npz file", expanded=has_upload, icon=":material/upload_file:"):
        st.markdown(
            "A `.npz` in the Keras layout: `x_train`, `y_train`, `x_test`, `y_test`, images uint8 of "
            f"shape (N, {IMAGE_SIZE}, {IMAGE_SIZE}), labels 0–9. Make one with "
            "`numpy.savez('data.npz', x_train=..., y_train=..., x_test=..., y_test=...)`. "
            f"Its labels are read as **{datasets.DATASET_TITLES[name]}** classes. This server takes up to "
            f"{datasets.MAX_IMAGES_PER_SPLIT:,} images per split and "
            f"{datasets.MAX_UNPACKED_BYTES // 2**20} MiB of arrays (Fashion-MNIST's 70,000 images: 53 MiB)."
        )
        file = st.file_uploader("Upload a .npz file", type=["npz"], key=UPLOADER_W)
        check_upload(file, name)
        error = st.session_state.get(UPLOAD_ERROR)
        if file is not None and error is not None and error[0] == file.file_id:
            st.error(f"**{file.name} cannot be used.** {error[1]}", icon=":material/error:")
            st.caption("The data in use has not changed.")
        if st.session_state.get(UPLOAD_KEY) is not None:
            st.button(f"Back to the built-in {datasets.DATASET_TITLES[name]}", on_click=back_to_builtin,
                      icon=":material/undo:")


def test_images(name: str) -> tuple[Any, Any]:
    """Test images (uint8, N×28×28) and labels (N,) to pick an example from: the session's
    upload when it is read as ``name`` (no loading at all), else the bundled sample's."""
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is not None and upload.name == name:
        return upload.x_test, upload.y_test
    return bundled_test_images(name)


def relabel(name: str) -> None:
    """Another dataset chosen: the upload keeps its images and takes ``name``'s class names."""
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is not None:
        st.session_state[UPLOAD_KEY] = replace(upload, name=name, class_names=datasets.CLASS_NAMES[name])


def file_name() -> str | None:
    """The accepted upload's file name, or None."""
    return st.session_state.get(UPLOAD_FILE_NAME)


def back_to_builtin() -> None:
    st.session_state.pop(UPLOAD_KEY, None)
    st.session_state.pop(UPLOAD_FILE_NAME, None)


def check_upload(file: UploadedFile | None, name: str) -> None:
    """Validate a newly uploaded file once; keep it if good, remember the message if not."""
    if file is None or file.file_id == st.session_state.get(SEEN_UPLOAD):
        return
    st.session_state[SEEN_UPLOAD] = file.file_id
    try:
        with st.spinner(f"Checking {file.name}…"):
            data = read_upload(file.getvalue(), name)
    except ValueError as exc:
        st.session_state[UPLOAD_ERROR] = (file.file_id, str(exc))
        return
    st.session_state[UPLOAD_KEY] = data
    st.session_state[UPLOAD_FILE_NAME] = file.name
    st.session_state.pop(UPLOAD_ERROR, None)
