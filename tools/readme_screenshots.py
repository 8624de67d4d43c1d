"""Refresh the README's screenshots from the browser tests.

    python tools/readme_screenshots.py

Runs the browser tests that photograph every page (they save full-page PNGs under
tests/e2e/screenshots/, which git ignores), then copies the ones the README shows into
docs/screenshots/, scaled to 900 px wide so the repository stays small.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "e2e" / "screenshots"
TARGET = ROOT / "docs" / "screenshots"
WIDTH = 900
MAX_HEIGHT = 2400  # crop very long pages: the top of a page is what the README needs
SHOTS = ["home", "convolution", "pooling", "dataset", "model", "training_live_2", "predictions_drawing"]


def main() -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "tests/e2e/test_pages_in_browser.py",
            "tests/e2e/test_training_live.py",
            "tests/e2e/test_predictions_in_browser.py",
        ],
        cwd=ROOT,
        check=True,
    )
    TARGET.mkdir(parents=True, exist_ok=True)
    for name in SHOTS:
        image = Image.open(SOURCE / f"{name}.png").convert("RGB")
        height = round(image.height * WIDTH / image.width)
        image = image.resize((WIDTH, height), Image.LANCZOS).crop((0, 0, WIDTH, min(height, MAX_HEIGHT)))
        image.save(TARGET / f"{name}.png", optimize=True)
        print(TARGET / f"{name}.png", image.size)


if __name__ == "__main__":
    main()
