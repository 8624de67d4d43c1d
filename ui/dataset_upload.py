"""A learner's own .npz in the Keras layout: the Dataset page's upload box (checked once, kept in
the session under ``ui.common.UPLOAD_KEY``, read as the chosen dataset's classes), and the test
images the explorers pick from.

An accepted file costs the server one parsed copy, shared by every session that sends the same
bytes (``ui.common.read_upload``): its raw bytes are then let go at once. Streamlit keeps an
uploaded file in its ``UploadedFileManager`` until the browser deletes it (the widget's ×) or the
session ends, 30 MB for Fashion-MNIST per student; so the upload box removes an accepted file from
the manager and starts a fresh, empty uploader (a new widget key), and says which file is in use."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.uploaded_file_manager import UploadedFile

from cnn_core import datasets
from cnn_core.datasets import IMAGE_SIZE
from ui.common import UPLOAD_KEY, bundled_test_images, dataset_identity, read_upload

# The Dataset page's upload keys, named like the page's own.
UPLOADER_KEY = "dataset_page_upload"  # the uploader's key; after an accepted file, UPLOADER_KEY + "_<n>"
UPLOADER_ROUND_KEY = "dataset_page_upload_round"  # n: files this session had accepted (a fresh uploader each)
SEEN_UPLOAD_KEY = "dataset_page_seen_upload"  # file_id of the last upload checked, so it is read once
UPLOAD_ERROR_KEY = "dataset_page_upload_error"  # (file_id, message) of a rejected upload
UPLOAD_FILE_NAME_KEY = "dataset_page_upload_file_name"  # name of the accepted upload, for the badge


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
        in_use(name)
        file = st.file_uploader("Upload a .npz file", type=["npz"], key=uploader_key())
        check_upload(file, name)
        error = st.session_state.get(UPLOAD_ERROR_KEY)
        if file is not None and error is not None and error[0] == file.file_id:
            st.error(f"**{file.name} cannot be used.** {error[1]}", icon=":material/error:")
            st.caption("The data in use has not changed.")


def in_use(name: str) -> None:
    """The accepted upload's name and size (its uploader is empty again), and the way back."""
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is None:
        return
    images = len(upload.y_train) + len(upload.y_test)
    st.markdown(
        f":material/check_circle: Using your upload **{file_name()}** ({images:,} images: "
        f"{len(upload.y_train):,} to train, {len(upload.y_test):,} to test), read as "
        f"{datasets.DATASET_TITLES[name]} classes. Upload another file below to replace it."
    )
    st.button(
        f"Back to the built-in {datasets.DATASET_TITLES[name]}",
        on_click=back_to_builtin,
        icon=":material/undo:",
    )


def uploader_key() -> str:
    """The uploader's widget key: a new one after each accepted file, so the box starts empty."""
    n = st.session_state.get(UPLOADER_ROUND_KEY, 0)
    return UPLOADER_KEY if n == 0 else f"{UPLOADER_KEY}_{n}"


def test_set(name: str) -> tuple[str, Any, Any]:
    """A key that names them, then test images (uint8, N×28×28) and labels (N,) to pick an
    example from: the session's upload when it is read as ``name`` (no loading at all), else the
    bundled sample's."""
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is not None and upload.name == name:
        return dataset_identity(upload), upload.x_test, upload.y_test
    return f"bundled:{name}", *bundled_test_images(name)


def relabel(name: str) -> None:
    """Another dataset chosen: the upload keeps its images and takes ``name``'s class names."""
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is not None:
        st.session_state[UPLOAD_KEY] = replace(upload, name=name, class_names=datasets.CLASS_NAMES[name])


def file_name() -> str | None:
    """The accepted upload's file name, or None."""
    return st.session_state.get(UPLOAD_FILE_NAME_KEY)


def back_to_builtin() -> None:
    st.session_state.pop(UPLOAD_KEY, None)
    st.session_state.pop(UPLOAD_FILE_NAME_KEY, None)


def check_upload(file: UploadedFile | None, name: str) -> None:
    """Validate a newly uploaded file once; keep it if good, remember the message if not."""
    if file is None or file.file_id == st.session_state.get(SEEN_UPLOAD_KEY):
        return
    st.session_state[SEEN_UPLOAD_KEY] = file.file_id
    try:
        with st.spinner(f"Checking {file.name}…"):
            # getvalue() hands over the bytes the UploadedFile shares with Streamlit's record, no
            # copy (getbuffer() would copy: it unshares a BytesIO made from bytes).
            data = read_upload(file.getvalue(), name)
    except ValueError as exc:  # the file stays in the box beside its sentence, as the learner left it
        st.session_state[UPLOAD_ERROR_KEY] = (file.file_id, str(exc))
        return
    st.session_state[UPLOAD_KEY] = data
    st.session_state[UPLOAD_FILE_NAME_KEY] = file.name
    st.session_state.pop(UPLOAD_ERROR_KEY, None)
    release(file)
    st.session_state[UPLOADER_ROUND_KEY] = st.session_state.get(UPLOADER_ROUND_KEY, 0) + 1
    st.rerun()  # draw the page once, with an empty uploader: the old widget and its file are dropped


def release(file: UploadedFile) -> None:
    """Remove ``file`` from Streamlit's UploadedFileManager (as Streamlit does itself for
    st.chat_input's files): its bytes are freed once this run lets go of the widget."""
    ctx = get_script_run_ctx()
    remove = getattr(ctx.uploaded_file_mgr, "remove_file", None) if ctx is not None else None
    if remove is not None:
        remove(session_id=ctx.session_id, file_id=file.file_id)
