"""A learner's drawing or photo is prepared as MNIST's digits were before the network reads it.

grey, ink on black -> cropped to the ink -> scaled to fit 20×20 -> centred by mass in 28×28;
and an empty canvas, a file that is not an image or a huge image is refused with a sentence.
"""

import io
import struct

import numpy as np
import pytest
from PIL import Image

from cnn_core import datasets, drawn_digit
from tests.conftest import png_claiming


@pytest.fixture(scope="module")
def mnist_digit() -> np.ndarray:
    """A real MNIST test digit (already prepared the MNIST way), uint8 (28, 28)."""
    data = datasets.load_dataset("mnist", "bundled")
    return data.x_test[int(np.flatnonzero(data.y_test == 7)[0])]


def canvas_with(
    digit: np.ndarray, size: int = 280, top: int = 0, left: int = 0, factor: int = 4
) -> np.ndarray:
    """A black size×size canvas with ``digit`` enlarged ``factor`` times pasted at (top, left)."""
    big = np.kron(digit, np.ones((factor, factor), np.uint8))
    canvas = np.zeros((size, size), np.uint8)
    canvas[top : top + big.shape[0], left : left + big.shape[1]] = big
    return canvas


def png_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def assert_mnist_like(image: np.ndarray) -> None:
    """28×28 uint8, ink fits a 20×20 box, centre of mass on the field's centre (±0.5 px)."""
    assert image.shape == (28, 28) and image.dtype == np.uint8
    top, left, bottom, right = drawn_digit.ink_box(image)
    assert max(bottom - top, right - left) <= drawn_digit.BOX
    cy, cx = drawn_digit.center_of_mass(image)
    assert abs(cy - drawn_digit.CENTER) <= 0.5 and abs(cx - drawn_digit.CENTER) <= 0.5


class TestCentring:
    def test_a_centred_mnist_digit_stays_centred_and_unchanged_in_shape(self, mnist_digit):
        prepared = drawn_digit.prepare_digit(mnist_digit)
        assert_mnist_like(prepared.image)
        # Re-preparing an MNIST digit gives (almost) the same picture back.
        a = prepared.image.astype(float).ravel()
        b = mnist_digit.astype(float).ravel()
        assert np.corrcoef(a, b)[0, 1] > 0.9
        assert not prepared.inverted

    def test_an_off_centre_digit_is_moved_to_the_centre(self, mnist_digit):
        canvas = canvas_with(mnist_digit, top=160, left=150, factor=4)  # bottom-right quadrant
        cy, cx = drawn_digit.center_of_mass(canvas)
        assert cy > 200 and cx > 190  # far from the canvas centre (139.5)
        prepared = drawn_digit.prepare_digit(canvas)
        assert_mnist_like(prepared.image)
        assert prepared.box[0] >= 160 and prepared.box[1] >= 150  # it found the ink where it was

    def test_a_small_digit_is_scaled_up_to_fill_20_pixels(self, mnist_digit):
        top, left, bottom, right = drawn_digit.ink_box(mnist_digit)
        canvas = canvas_with(mnist_digit, size=300, top=10, left=10, factor=1)  # tiny, in a corner
        prepared = drawn_digit.prepare_digit(canvas)
        assert max(prepared.scaled.shape) == 20
        assert_mnist_like(prepared.image)

    def test_the_aspect_ratio_is_kept_so_a_one_stays_thin(self):
        canvas = np.zeros((280, 280), np.uint8)
        canvas[40:240, 130:150] = 255  # a vertical bar, 200 tall and 20 wide
        prepared = drawn_digit.prepare_digit(canvas)
        h, w = prepared.scaled.shape
        assert (h, w) == (20, 2)
        assert_mnist_like(prepared.image)


class TestInk:
    def test_dark_ink_on_white_paper_is_inverted_to_ink_on_black(self, mnist_digit):
        on_black = drawn_digit.prepare_digit(canvas_with(mnist_digit))
        on_paper = drawn_digit.prepare_digit(255 - canvas_with(mnist_digit))
        assert on_paper.inverted and not on_black.inverted
        assert np.abs(on_paper.image.astype(int) - on_black.image.astype(int)).max() <= 2

    def test_a_grey_photo_of_paper_becomes_black_with_full_strength_ink(self, mnist_digit):
        rng = np.random.default_rng(0)
        paper = 180 + rng.integers(-10, 10, (280, 280))  # grey paper with texture
        photo = np.clip(paper - canvas_with(mnist_digit).astype(int) // 2, 0, 255).astype(np.uint8)
        rgb = np.stack([photo, photo, (photo * 0.9).astype(np.uint8)], axis=-1)  # a warm tint
        prepared = drawn_digit.prepare_digit(rgb)
        assert prepared.inverted
        assert prepared.grey[:20, :20].max() == 0  # paper and its texture are gone
        assert prepared.image.max() >= 240  # the ink is stretched to full strength (less a little blur)
        assert_mnist_like(prepared.image)

    def test_a_transparent_canvas_with_black_strokes_reads_as_ink(self, mnist_digit):
        rgba = np.zeros((280, 280, 4), np.uint8)  # black strokes, alpha = the stroke
        rgba[..., 3] = canvas_with(mnist_digit)
        prepared = drawn_digit.prepare_digit(rgba)
        assert_mnist_like(prepared.image)
        assert not prepared.inverted

    def test_a_png_file_goes_through_the_same_preparation_as_the_array(self, mnist_digit):
        canvas = 255 - canvas_with(mnist_digit)
        from_file = drawn_digit.prepare_digit(png_bytes(canvas))
        from_array = drawn_digit.prepare_digit(canvas)
        np.testing.assert_array_equal(from_file.image, from_array.image)

    def test_float_images_in_0_1_are_understood(self, mnist_digit):
        prepared = drawn_digit.prepare_digit(canvas_with(mnist_digit) / 255.0)
        assert_mnist_like(prepared.image)


class TestRefusals:
    @pytest.mark.parametrize(
        "blank",
        [
            np.zeros((280, 280), np.uint8),  # the untouched canvas
            np.full((280, 280), 255, np.uint8),  # a white page
            np.full((200, 300, 3), 128, np.uint8),  # a grey photo of nothing
            np.zeros((280, 280, 4), np.uint8),  # a transparent canvas
        ],
        ids=["black canvas", "white page", "grey photo", "transparent canvas"],
    )
    def test_an_empty_picture_is_refused_with_a_sentence(self, blank):
        with pytest.raises(ValueError, match="empty"):
            drawn_digit.prepare_digit(blank)

    def test_faint_noise_is_not_ink(self):
        rng = np.random.default_rng(1)
        noise = rng.integers(0, drawn_digit.MIN_CONTRAST // 2, (280, 280)).astype(np.uint8)
        with pytest.raises(ValueError, match="empty"):
            drawn_digit.prepare_digit(noise)

    def test_a_file_that_is_not_an_image_is_refused(self):
        with pytest.raises(ValueError, match="not an image"):
            drawn_digit.prepare_digit(b"%PDF-1.4 this is a pdf, not a picture")
        with pytest.raises(ValueError, match="empty"):
            drawn_digit.load_image(b"")

    def test_a_huge_image_is_refused_before_it_is_decoded(self, monkeypatch):
        data = png_bytes(np.zeros((120, 100), np.uint8))
        monkeypatch.setattr(drawn_digit, "MAX_PIXELS", 100 * 100)
        with pytest.raises(ValueError, match="megapixels"):
            drawn_digit.load_image(data)

    def test_a_png_claiming_60000_by_60000_pixels_is_refused_with_a_sentence(self):
        bomb = png_claiming(60_000, 60_000)
        assert len(bomb) < 1_000
        with pytest.raises(ValueError, match="header claims more than 40 megapixels"):
            drawn_digit.load_image(bomb)
        with pytest.raises(ValueError, match="megapixels"):
            drawn_digit.prepare_digit(bomb)

    def test_a_header_between_the_cap_and_pillows_limit_is_refused_by_the_named_cap(self):
        with pytest.raises(ValueError, match=r"10,000 × 8,000 pixels; please use one under 40 megapixels"):
            drawn_digit.load_image(png_claiming(10_000, 8_000))

    def test_pillows_warning_zone_is_an_error_too(self, monkeypatch):
        # Between Pillow's MAX_IMAGE_PIXELS and twice that, Pillow only warns: still refused.
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
        with pytest.raises(ValueError, match="megapixels"):
            drawn_digit.load_image(png_bytes(np.zeros((150, 100), np.uint8)))

    @pytest.mark.parametrize(
        "damage",
        [
            lambda png: png[:40],  # cut inside the image data
            lambda png: png[:16] + b"\xff" * 8 + png[24:],  # a header with a corrupted size and CRC
            lambda png: b"GIF89a" + png[6:],  # a GIF signature on PNG bytes
            lambda png: b"BM" + bytes(60),  # a BMP header with nonsense fields
        ],
        ids=["truncated", "bad-header", "wrong-signature", "bad-bmp"],
    )
    def test_every_pillow_error_becomes_a_sentence(self, damage):
        png = png_bytes(np.tile(np.arange(64, dtype=np.uint8), (64, 1)))
        with pytest.raises(ValueError) as error:
            drawn_digit.load_image(damage(png))
        assert str(error.value).endswith((".", ")."))

    @pytest.mark.parametrize(
        "error",
        [
            SyntaxError("broken PNG file"),
            struct.error("unpack requires 4 bytes"),
            EOFError(),
            MemoryError(),
            Image.DecompressionBombError("Image size exceeds limit"),
        ],
        ids=lambda e: type(e).__name__,
    )
    @pytest.mark.parametrize("where", ["open", "decode"])
    def test_pillow_errors_of_any_class_become_a_sentence(self, monkeypatch, error, where):
        from PIL import ImageOps

        def fail(*args, **kwargs):
            raise error

        monkeypatch.setattr(Image, "open", fail) if where == "open" else monkeypatch.setattr(
            ImageOps, "exif_transpose", fail
        )
        with pytest.raises(ValueError, match="megapixels|not an image|could not be decoded"):
            drawn_digit.load_image(png_bytes(np.zeros((30, 30), np.uint8)))

    def test_a_huge_file_is_refused(self, monkeypatch):
        monkeypatch.setattr(drawn_digit, "MAX_FILE_BYTES", 1000)
        with pytest.raises(ValueError, match="MB"):
            drawn_digit.load_image(b"\x89PNG" + b"\0" * 2000)

    def test_a_real_photo_is_reduced_before_processing(self):
        big = np.zeros((2000, 1500), np.uint8)
        big[500:1500, 600:900] = 255
        image = drawn_digit.load_image(png_bytes(big))
        assert max(image.shape[:2]) == drawn_digit.WORK_SIDE

    @pytest.mark.parametrize("shape", [(5,), (10, 10, 2), (1, 50)])
    def test_arrays_that_are_not_pictures_are_refused(self, shape):
        with pytest.raises(ValueError):
            drawn_digit.prepare_digit(np.ones(shape, np.uint8))


class TestWithoutPreparation:
    def test_squeezing_the_whole_canvas_leaves_a_small_off_centre_digit(self, mnist_digit):
        naive = drawn_digit.naive_28(canvas_with(mnist_digit, top=0, left=0, factor=4))
        top, left, bottom, right = drawn_digit.ink_box(naive)
        assert bottom <= 16 and right <= 16  # stuck in the top-left corner, and small
