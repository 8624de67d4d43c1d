"""Test-wide settings: never touch the network, keep TensorFlow's logs quiet."""

import os

# Tests use the bundled sample only: the Keras download is never attempted.
os.environ["CNN_EXPLORER_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


# --- Hostile files, built without ever allocating what they claim ---------------------------
# (bench/_bombs.py has the complete versions for the class benchmark; tests never import bench.)


def npy_header(shape: tuple[int, ...], descr: str = "|u1") -> bytes:
    """A .npy version 1.0 header claiming an array of ``shape`` and ``descr``."""
    import io

    import numpy as np

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def npz_claiming(images: int = 2_000_000, test_images: int = 10, descr: str = "|u1") -> bytes:
    """An .npz whose x_train header claims ``images`` 28×28 images and holds 16 bytes of them.

    Read as numpy.load would, it allocates images × 784 × itemsize bytes before noticing the
    missing data (1.5 GB for the default).
    """
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x_train.npy", npy_header((images, 28, 28), descr) + bytes(16))
        archive.writestr("y_train.npy", npy_header((min(images, 100),)) + bytes(min(images, 100)))
        archive.writestr("x_test.npy", npy_header((test_images, 28, 28), descr) + bytes(16))
        archive.writestr("y_test.npy", npy_header((min(test_images, 100),)) + bytes(min(test_images, 100)))
    return buffer.getvalue()


def png_claiming(width: int = 60_000, height: int = 60_000) -> bytes:
    """A PNG of a few dozen bytes whose header claims ``width`` × ``height`` grey pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(width + 1)))
        + chunk(b"IEND", b"")
    )
