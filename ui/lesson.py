"""The guided path: where each page sits in the tutorial, and the next step after it.

The router draws these around every page, so a page module needs no code for them.
"""

from __future__ import annotations

import streamlit as st

from ui.navigation import PageInfo, find, lesson_pages


def draw_lesson_header(path: str) -> None:
    """A caption above the page: its step in the lesson and the tutorial section it teaches."""
    steps = lesson_pages()
    info = find(path)
    if info is None or info not in steps:
        return
    where = f"Step {steps.index(info) + 1} of {len(steps)}"
    if info.section:
        where += f" · teaches tutorial § {info.section}"
    st.caption(where)


def draw_next_step(path: str) -> None:
    """A footer: what to try here, and a link to the next page of the lesson."""
    steps = lesson_pages()
    info = find(path)
    if info is None:
        return
    upcoming: PageInfo | None
    if info in steps:
        i = steps.index(info)
        upcoming = steps[i + 1] if i + 1 < len(steps) else None
    else:  # Home: the lesson starts at step 1
        upcoming = steps[0] if steps else None
    st.divider()
    if info.try_next:
        st.markdown(f"**Try this:** {info.try_next}")
    if upcoming is not None:
        st.page_link(
            upcoming.path, label=f"Next: {upcoming.title} — {upcoming.blurb}", icon=":material/arrow_forward:"
        )
    elif info in steps:
        st.markdown("You have reached the end of the lesson: well done. Go back to any page to experiment.")
