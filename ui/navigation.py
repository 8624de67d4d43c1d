"""The pages the app lists, in the tutorial's order. The router, Home and the tests read this."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to the repository root
    title: str
    icon: str
    blurb: str  # one sentence for Home
    section: str = ""  # the tutorial section it teaches, e.g. "1.1.1"
    try_next: str = ""  # one sentence: what to try on this page before moving on


def lesson_pages() -> list[PageInfo]:
    """The pages of the lesson, in order (everything but Home)."""
    return [p for p in PAGES if p.path != PAGES[0].path]


def find(path: str) -> PageInfo | None:
    return next((p for p in PAGES if p.path == path), None)


def url_path(info: PageInfo) -> str:
    """The address st.navigation gives a page: its file name, and "" for the default page."""
    return "" if info.path == PAGES[0].path else Path(info.path).stem


PAGES: list[PageInfo] = [
    PageInfo("app_pages/home.py", "Home", ":material/home:", "What the explorer teaches and where to start."),
    PageInfo(
        "app_pages/convolution.py",
        "Convolution",
        ":material/grid_on:",
        "Slide a kernel over an image and see why its output is the size formula (1.1) says, floor included.",
        "1.1.1",
        "Set K = 3 and padding 2 as the tutorial says, watch the output grow to 30, then find the P that "
        "keeps 28.",
    ),
    PageInfo(
        "app_pages/pooling.py",
        "Pooling",
        ":material/filter_center_focus:",
        "Shrink a feature map with max or average pooling and see which numbers survive.",
        "1.1.2",
        "Make the stride smaller than the pool so the windows overlap, and find a pixel that wins twice.",
    ),
    PageInfo(
        "app_pages/dataset.py",
        "Dataset",
        ":material/photo_library:",
        "Look at the images and numbers the network learns from, and how they are scaled.",
        "1.3.2",
        "Filter the grid to one class, then compare its images with that class's mean image.",
    ),
    PageInfo(
        "app_pages/model.py",
        "Model",
        ":material/account_tree:",
        "Build the network block by block and see each layer's shape and parameters.",
        "1.3.3",
        "Add a third block (exercise 2) and watch fc1's parameters fall by three quarters.",
    ),
    PageInfo(
        "app_pages/training.py",
        "Training",
        ":material/model_training:",
        "Train the network live: watch the loss fall batch by batch, change the learning rate, pause, stop "
        "and save.",
        "1.3.5",
        "Raise the learning rate to 3 during a run and watch the loss explode, then start again at 0.01.",
    ),
    PageInfo(
        "app_pages/predictions.py",
        "Predictions",
        ":material/insights:",
        "See what the trained network gets right and wrong, test it on your own drawing, and look inside "
        "its layers.",
        "1.3.6",
        "Filter to the most confident mistakes, then open one in Look inside and see where the network "
        "looked.",
    ),
]
