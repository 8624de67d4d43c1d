"""Hostile uploads for the class benchmark: small files that claim far more than they hold.

    from bench._bombs import npz_bomb_bytes, png_bomb_bytes

Neither builder ever allocates what its file claims: the .npz's zeros are compressed in
chunks, the PNG is a header and a few bytes. (The tests build their own, smaller ones in
tests/conftest.py: tests never import bench.)
"""

from __future__ import annotations

import functools
import io
import struct
import zipfile
import zlib

import numpy as np

_CHUNK_IMAGES = 10_000  # images of zeros compressed per write: 7.8 MB at a time


def _npy_header(shape: tuple[int, ...], descr: str = "|u1") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


@functools.lru_cache(maxsize=2)
def npz_bomb_bytes(images: int = 2_000_000) -> bytes:
    """A complete, valid Keras-layout .npz of ``images`` black 28×28 training images (and 10
    test images): about 1.5 MB for the default, which unpacks to images × 784 bytes (1.5 GB).

    Before the header caps, ``datasets.read_npz`` accepted it after ~7 s and +1,450 MiB.
    Building it compresses 1.5 GB of zeros (5-20 s here for the default), so the result is
    kept for the process's later calls.
    """
    buffer = io.BytesIO()
    zeros = bytes(784 * _CHUNK_IMAGES)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("x_train.npy", "w", force_zip64=True) as member:
            member.write(_npy_header((images, 28, 28)))
            for start in range(0, images, _CHUNK_IMAGES):
                member.write(zeros[: 784 * min(_CHUNK_IMAGES, images - start)])
        with archive.open("y_train.npy", "w", force_zip64=True) as member:
            member.write(_npy_header((images,)))
            for start in range(0, images, len(zeros)):
                member.write(zeros[: min(len(zeros), images - start)])
        archive.writestr("x_test.npy", _npy_header((10, 28, 28)) + bytes(7840))
        archive.writestr("y_test.npy", _npy_header((10,)) + bytes(10))
    return buffer.getvalue()


def png_bomb_bytes(width: int = 60_000, height: int = 60_000) -> bytes:
    """A PNG of a few hundred bytes whose header claims ``width`` × ``height`` grey pixels
    (3.6 gigapixels by default): Pillow raises DecompressionBombError on opening it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey, no interlace
    row = zlib.compress(bytes(width + 1))  # one black row (filter byte + pixels), compressed
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", row) + chunk(b"IEND", b"")
