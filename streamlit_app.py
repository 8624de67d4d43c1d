"""CNN Explorer: the router. Each page is one module in app_pages/; shared glue lives in ui/."""

import streamlit as st

from ui.jobs import remember_instructor
from ui.lesson import draw_lesson_header, draw_next_step
from ui.navigation import PAGES
from ui.server import server_process_settings, tidy_up_after_run
from ui.sidebar import draw_sidebar_status
from ui.theme import apply_theme
from ui.url_state import exact_entry_toggle

st.set_page_config(page_title="CNN Explorer", page_icon=":material/grid_on:", layout="wide")
apply_theme()  # focus rings and code colours the theme config cannot set (ui/theme.py)
server_process_settings()  # malloc arenas bounded before a class's sessions allocate

pages = {p.path: st.Page(p.path, title=p.title, icon=p.icon, default=(i == 0)) for i, p in enumerate(PAGES)}
page = st.navigation(list(pages.values()))
exact_entry_toggle()  # "Type exact values": sliders become number inputs (WCAG 2.5.7)
path = next(path for path, p in pages.items() if p is page)
remember_instructor()  # ?instructor=<token>: this session's runs go to the front of the line
status = st.sidebar.container()  # filled after the page ran, so it can name the device it used
draw_lesson_header(path)
try:
    page.run()
    draw_next_step(path)
finally:
    draw_sidebar_status(status, path)
    tidy_up_after_run()  # the garbage collector, at most every few seconds (see its docstring)
