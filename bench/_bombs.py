"""Hostile uploads for the class benchmark, built without ever holding what they claim to hold.

* :func:`npz_bomb_bytes`: a ~1.5 MB ``.npz`` whose ``x_train.npy`` says 2,000,000×28×28 uint8
  (1.57 GB once unpacked). Its members are streamed through zipfile's deflate in 1 MiB chunks of
  zeros, so building it costs a few seconds of CPU and ~1 MiB of memory.
* :func:`png_bomb_bytes`: a ~100-byte PNG whose header claims 60,000×60,000 grey pixels
  (3.6 gigapixels); its image data holds a few rows only.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np

BOMB_IMAGES = 2_000_000  # x_train rows the npz bomb claims
BOMB_SIDE = 60_000  # width and height the PNG bomb claims, in pixels
CHUNK_BYTES = 2**20  # zeros written per step: the most the builder ever holds


def npz_bomb_bytes(n_images: int = BOMB_IMAGES, side: int = 28, n_test: int = 10) -> bytes:
    """A valid Keras-layout ``.npz`` (x_train, y_train, x_test, y_test; uint8, deflated) whose
    ``x_train`` really holds ``n_images``×``side``×``side`` zero bytes once unpacked, and whose
    file is about a thousandth of that. Nothing of the unpacked size is ever allocated."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        _write_zero_npy(zf, "x_train.npy", (n_images, side, side))
        _write_zero_npy(zf, "y_train.npy", (n_images,))
        _write_zero_npy(zf, "x_test.npy", (n_test, side, side))
        _write_zero_npy(zf, "y_test.npy", (n_test,))
    return out.getvalue()


def _write_zero_npy(zf: zipfile.ZipFile, name: str, shape: tuple[int, ...]) -> None:
    """One ``.npy`` member: the real header for a uint8 array of ``shape``, then its zeros in chunks."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": shape})
    remaining = int(np.prod(shape, dtype=np.int64))
    zeros = bytes(CHUNK_BYTES)
    with zf.open(name, "w", force_zip64=True) as member:
        member.write(header.getvalue())
        while remaining > 0:
            step = min(remaining, CHUNK_BYTES)
            member.write(zeros if step == CHUNK_BYTES else zeros[:step])
            remaining -= step


def png_bomb_bytes(side: int = BOMB_SIDE, rows: int = 4) -> bytes:
    """A PNG (8-bit grey) whose IHDR says ``side``×``side`` pixels, followed by the compressed
    data of its first ``rows`` rows only: what a decoder sees in the header is the bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # grey, no interlace
    raw = bytes(rows * (side + 1))  # each row: filter byte 0, then its pixels
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
