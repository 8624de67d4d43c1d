"""A drawn or uploaded digit -> the 28×28 input an MNIST network expects (nothing is drawn here).

MNIST's digits were prepared in a particular way, and a network trained on them only
understands pictures prepared the same way:

1. grey levels, **light ink on a black background** (0 = background);
2. **cropped** to the ink's bounding box;
3. **scaled to fit a 20×20 box**, keeping the aspect ratio (anti-aliased, hence grey edges);
4. pasted into a 28×28 field so that the **centre of mass** of the ink lies at its centre.

A raw canvas (a small digit in a corner of a big white square) skips all four and the network
guesses. :func:`prepare_digit` does them and keeps every step so a page can show them.
Only numpy and Pillow; no TensorFlow.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .datasets import IMAGE_SIZE, first_line

FIELD = IMAGE_SIZE  # the MNIST image, pixels
BOX = 20  # the digit is scaled to fit a BOX × BOX square inside the field
CENTER = (FIELD - 1) / 2  # the field's centre, in pixel indices: 13.5, between pixels 13 and 14
MAX_FILE_BYTES = 15 * 1024 * 1024  # a phone photo is 2-8 MB
MAX_PIXELS = 40_000_000  # ~ a 7,000 × 5,700 photo; refuse before decoding anything larger
WORK_SIDE = 512  # photos are reduced to this longest side first: plenty for a 20×20 result
MIN_CONTRAST = 40  # grey levels (of 255) between ink and background, below which it is "empty"
INK_THRESHOLD = 0.2  # a pixel is ink when above this fraction of the brightest ink (crop, noise)


@dataclass(frozen=True, eq=False)
class PreparedDigit:
    """Every step of the preparation, for showing (all uint8, 0 = background, 255 = ink).

    ``grey``: the input as ink-on-black grey levels (H, W), background removed;
    ``box``: the ink's bounding box (top, left, bottom, right) in ``grey``, bottom/right exclusive;
    ``scaled``: the crop scaled to fit 20×20 (h, w) with max(h, w) = 20;
    ``image``: the 28×28 result the network sees; ``offset``: (top, left) where ``scaled`` sits
    in it; ``inverted``: whether the input was dark ink on a light background and was inverted.
    """

    grey: np.ndarray
    box: tuple[int, int, int, int]
    scaled: np.ndarray
    image: np.ndarray
    offset: tuple[int, int]
    inverted: bool


def load_image(data: bytes) -> np.ndarray:
    """Decode an image file's bytes to a uint8 array (H, W), (H, W, 3) or (H, W, 4).

    Refuses, with ``ValueError``, a file that is not an image, one over ``MAX_FILE_BYTES`` and
    one over ``MAX_PIXELS`` (checked from the header, before decoding); every error Pillow
    raises (decompression bombs included) becomes such a sentence. Phone photos are turned
    upright from their EXIF orientation and reduced to ``WORK_SIDE`` pixels on the long side.
    """
    from PIL import Image, ImageOps

    if len(data) == 0:
        raise ValueError("The file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(
            f"The image file is {len(data) / 1e6:.1f} MB; please use one under "
            f"{MAX_FILE_BYTES / 1e6:.0f} MB (a digit needs only a few hundred pixels)."
        )
    too_big = (
        f"The image's header claims more than {MAX_PIXELS / 1e6:.0f} megapixels; it is refused "
        f"before decoding (a digit needs only a few hundred pixels)."
    )
    with warnings.catch_warnings():
        # Pillow warns, then raises, when a header claims more pixels than it deems safe.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValueError(too_big) from None
        except Exception:  # UnidentifiedImageError, OSError, SyntaxError, struct.error, ...
            raise ValueError(
                "This file is not an image that can be read. Upload a PNG, JPEG, GIF, BMP or WebP."
            ) from None
        width, height = img.size
        if width * height > MAX_PIXELS:
            raise ValueError(
                f"The image is {width:,} × {height:,} pixels; please use one under "
                f"{MAX_PIXELS / 1e6:.0f} megapixels."
            )
        try:
            img = ImageOps.exif_transpose(img)
            img.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.LANCZOS)
            if img.mode not in ("L", "RGB", "RGBA"):
                img = img.convert("RGBA" if "A" in img.getbands() or "transparency" in img.info else "RGB")
            return np.asarray(img, dtype=np.uint8).copy()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValueError(too_big) from None
        except Exception as exc:  # a damaged file fails while decoding, in many ways
            raise ValueError(f"The image could not be decoded ({first_line(exc)}).") from None


def to_ink_on_black(image: Any) -> tuple[np.ndarray, bool]:
    """Grey uint8 (H, W) with ink bright on a black background, and whether it was inverted.

    Accepts (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA arrays (uint8 0-255, or floats 0-1).
    Transparent pixels count as background. The background is the median of the image's
    border; when it is light (dark ink on paper), the image is inverted. The background level is
    then subtracted and the ink stretched to reach 255, so a grey photo of paper becomes black.
    """
    arr = np.asarray(image)
    if arr.dtype == bool or arr.size == 0 or arr.ndim not in (2, 3):
        raise ValueError(f"An image must be a (H, W), (H, W, 3) or (H, W, 4) array, not {arr.shape}.")
    if arr.ndim == 3 and arr.shape[2] not in (1, 3, 4):
        raise ValueError(f"An image needs 1, 3 or 4 channels, not {arr.shape[2]}.")
    if min(arr.shape[:2]) < 2:
        raise ValueError(f"The image is only {arr.shape[1]}×{arr.shape[0]} pixels.")
    if np.issubdtype(arr.dtype, np.floating):
        arr = arr * 255.0 if arr.max() <= 1.0 else arr
    arr = np.clip(arr.astype(np.float32), 0, 255)

    alpha = None
    if arr.ndim == 3:
        if arr.shape[2] == 4:
            alpha = arr[..., 3] / 255.0
        rgb = arr[..., :3] if arr.shape[2] >= 3 else arr[..., :1]
        # ITU-R 601 luma, the weights Pillow's convert("L") uses.
        grey = rgb @ np.array([0.299, 0.587, 0.114], np.float32) if rgb.shape[2] == 3 else rgb[..., 0]
    else:
        grey = arr

    if alpha is not None and (alpha < 0.5).any():
        # Transparent parts are background; what is opaque is ink, whatever its colour (a
        # canvas without a background colour gives black strokes on transparent pixels).
        grey = np.where(alpha > 0, 255.0 * alpha, 0.0)
        inverted = False
    else:
        inverted = bool(np.median(_border(grey)) > 127)
        if inverted:
            grey = 255.0 - grey
    background = float(np.median(_border(grey)))
    ink = np.clip(grey - background, 0, None)
    # How bright the ink is: a high percentile of the pixels that clearly stand out, so neither
    # a tiny digit on a big canvas nor a few hot noise pixels decide the stretch.
    standing_out = ink[ink >= MIN_CONTRAST]
    top = float(np.percentile(standing_out, 90)) if standing_out.size else 0.0
    if top < MIN_CONTRAST:
        return np.zeros(grey.shape, np.uint8), inverted
    ink = np.clip(ink * (255.0 / top), 0, 255)
    ink[ink < INK_THRESHOLD * 255] = 0  # paper texture and shadows are not ink
    return ink.astype(np.uint8), inverted


def prepare_digit(image: Any) -> PreparedDigit:
    """Prepare a drawing or photo as MNIST was prepared; see the module docstring for the steps.

    ``image``: an array as :func:`to_ink_on_black` takes, or an image file's bytes.
    Raises ``ValueError`` when there is no ink (an empty canvas, a blank photo).
    """
    if isinstance(image, (bytes, bytearray)):
        image = load_image(bytes(image))
    grey, inverted = to_ink_on_black(image)
    box = ink_box(grey)
    if box is None:
        raise ValueError(
            "There is no digit to read: the canvas is empty (or the photo has no ink that stands "
            "out from the paper). Draw a digit, or upload a sharper photo."
        )
    top, left, bottom, right = box
    scaled = fit_in_box(grey[top:bottom, left:right], BOX)
    image28, offset = center_by_mass(scaled, FIELD)
    return PreparedDigit(grey, box, scaled, image28, offset, inverted)


def naive_28(image: Any) -> np.ndarray:
    """What a network would get without MNIST's preparation: the whole picture, ink on black,
    squeezed to 28×28 (uint8). A digit drawn small or off-centre ends up small and off-centre."""
    if isinstance(image, (bytes, bytearray)):
        image = load_image(bytes(image))
    from PIL import Image

    grey, _ = to_ink_on_black(image)
    return np.asarray(Image.fromarray(grey).resize((FIELD, FIELD), Image.Resampling.LANCZOS), dtype=np.uint8)


def ink_box(grey: np.ndarray) -> tuple[int, int, int, int] | None:
    """Bounding box (top, left, bottom, right) of the non-zero pixels, bottom/right exclusive."""
    rows = np.flatnonzero(grey.any(axis=1))
    cols = np.flatnonzero(grey.any(axis=0))
    if rows.size == 0:
        return None
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


def fit_in_box(crop: np.ndarray, box: int = BOX) -> np.ndarray:
    """Scale a uint8 (h, w) crop so its longer side is ``box`` pixels, keeping the aspect ratio.

    Anti-aliased (Lanczos when shrinking, bilinear when enlarging), like MNIST's grey edges.
    A thin stroke (a "1") keeps at least 1 pixel of width.
    """
    from PIL import Image

    h, w = crop.shape
    scale = box / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # PIL wants (width, height)
    method = Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BILINEAR
    out = np.asarray(Image.fromarray(crop).resize(size, method), dtype=np.uint8)
    if not out.any():  # a faint speck can vanish when shrunk: keep the brightest pixel
        out = np.zeros_like(out)
        out[out.shape[0] // 2, out.shape[1] // 2] = crop.max()
    return out


def center_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the intensity-weighted centre of a (h, w) array, in pixel-index units."""
    weights = image.astype(np.float64)
    total = weights.sum()
    if total == 0:
        raise ValueError("An empty image has no centre of mass.")
    rows, cols = np.indices(weights.shape)
    return float((rows * weights).sum() / total), float((cols * weights).sum() / total)


def center_by_mass(patch: np.ndarray, field: int = FIELD) -> tuple[np.ndarray, tuple[int, int]]:
    """Paste ``patch`` into a black field × field image so its centre of mass is at the centre.

    The centre of a ``field``-pixel field is at index (field − 1)/2 (``CENTER`` for 28). The
    shift is rounded to whole pixels (no extra blur) and clamped so the whole patch stays inside.
    Returns the image (uint8) and the (top, left) where the patch was pasted.
    """
    h, w = patch.shape
    if h > field or w > field:
        raise ValueError(f"A {h}×{w} patch does not fit in a {field}×{field} field.")
    cy, cx = center_of_mass(patch)
    middle = (field - 1) / 2
    top = int(np.clip(np.floor(middle - cy + 0.5), 0, field - h))
    left = int(np.clip(np.floor(middle - cx + 0.5), 0, field - w))
    out = np.zeros((field, field), np.uint8)
    out[top : top + h, left : left + w] = patch
    return out, (top, left)


def _border(grey: np.ndarray) -> np.ndarray:
    """The outer frame of an image (about 5% of each side, at least one pixel)."""
    h, w = grey.shape
    bh, bw = max(1, h // 20), max(1, w // 20)
    return np.concatenate(
        [grey[:bh].ravel(), grey[-bh:].ravel(), grey[:, :bw].ravel(), grey[:, -bw:].ravel()]
    )
