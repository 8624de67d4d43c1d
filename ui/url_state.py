"""Instructor links: a page's settings live in the URL, and a lesson can hide controls.

A page declares its settings once, as :class:`Param` objects keyed by the widget keys it uses:

    settings = {
        "conv_size": url_state.Int(28, 3, 64),
        "conv_padding": url_state.Choice("valid", ["valid", "same", "explicit"]),
    }
    url_state.bind(settings)
    url_state.slider("Input size I", "conv_size", settings)  # bounds from the Int: stated once
    ... other widgets created with key="conv_padding" etc. and no value= ...
    url_state.share_box(settings)

:func:`bind` copies valid values from the URL into session state (before the widgets exist, so
they start there), keeps the URL in step with the widgets on every run (at the start of a rerun
session state already holds the widget values the user just set), remembers them when the user
leaves the page, and tells the user when a parameter was invalid and fell back to its default.
``?hide=conv_stride,conv_dilation`` hides those controls (the page asks :func:`hidden`); their
values still come from the URL.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlencode

import streamlit as st

from cnn_core import models

HIDE = "hide"  # the query parameter that lists controls to hide
WRITTEN_KEY = "_url_state_written"  # what we last wrote to the URL, to tell our writes from a link
KEPT_KEY = "_url_state_kept"  # last values of every bound key, restored when the user comes back
SHARE_BOX_KEY = "_url_state_box"  # whether a lazy share box is open
HIDE_PICK_KEY = "_url_state_hide"  # the share box's "Hide these controls" choice


@dataclass(frozen=True)
class Param:
    """A setting that can travel in the URL; ``parse`` raises ValueError on bad text."""

    default: Any

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def format(self, value: Any) -> str:
        return str(value)


@dataclass(frozen=True)
class Int(Param):
    lo: int = -(2**31)
    hi: int = 2**31

    def parse(self, text: str) -> int:
        value = int(text)
        if not self.lo <= value <= self.hi:
            raise ValueError(f"{value} is outside {self.lo}–{self.hi}")
        return value


@dataclass(frozen=True)
class Float(Param):
    lo: float = float("-inf")
    hi: float = float("inf")

    def parse(self, text: str) -> float:
        value = float(text)
        if not self.lo <= value <= self.hi:  # also refuses nan
            raise ValueError(f"{value} is outside {self.lo:g}–{self.hi:g}")
        return value

    def format(self, value: Any) -> str:
        return f"{value:g}"


@dataclass(frozen=True)
class Choice(Param):
    options: Sequence[Any] = ()

    def parse(self, text: str) -> Any:
        for option in self.options:
            if str(option) == text:
                return option
        raise ValueError(f"{text!r} is not one of {', '.join(map(str, self.options))}")


@dataclass(frozen=True)
class Bool(Param):
    def parse(self, text: str) -> bool:
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{text!r} is not true or false")

    def format(self, value: Any) -> str:
        return "1" if value else "0"


@dataclass(frozen=True)
class Network(Param):
    """A whole network in one parameter: a preset's short name, or its layers spelled out by
    ``models.config_to_text``; bounded to the model page's controls (dropout at most 0.9)."""

    max_dropout: float = 0.9

    def parse(self, text: str) -> models.ModelConfig:
        config = models.config_from_text(text)
        if config.dropout > self.max_dropout:
            raise ValueError(f"dropout {config.dropout:g} is above the limit of {self.max_dropout:g}")
        # A new object, even for a preset: a page tells a link's configuration by its identity.
        return replace(config, dropout=round(config.dropout, 2))

    def format(self, value: Any) -> str:
        return models.config_to_text(value)


@dataclass(frozen=True)
class HideOnly(Param):
    """A control the share box offers to hide whose value never travels (another parameter
    carries it). Give it the control's current value as default, so a link never holds it."""

    def parse(self, text: str) -> Any:
        raise ValueError("this control does not travel in the URL")


def bind(params: Mapping[str, Param]) -> None:
    """Restore ``params`` from the URL (once per new link) and keep the URL in step afterwards.

    Call before creating the widgets whose keys are the mapping's keys. Invalid values fall back
    to the default with a notice on the page, never an exception.
    """
    url = {k: st.query_params.get(k) for k in params if k in st.query_params}
    written = st.session_state.get(WRITTEN_KEY, {})
    fresh_link = any(written.get(k) != v for k, v in url.items())
    problems = []
    for key, param in params.items():
        if fresh_link and key in url:
            try:
                st.session_state[key] = param.parse(url[key])
                continue
            except (ValueError, TypeError) as exc:
                problems.append(f"`{key}={url[key]}` ({str(exc).rstrip('.')})")
                st.session_state[key] = param.default
        st.session_state.setdefault(key, st.session_state.get(KEPT_KEY, {}).get(key, param.default))
    if problems:
        st.warning(
            "Some settings in this link were not valid and were reset to their defaults: "
            + "; ".join(problems)
            + ".",
            icon=":material/link_off:",
        )
    _write(params)


def _write(params: Mapping[str, Param]) -> None:
    """Put ``params`` that differ from their defaults in the URL, and take out those that don't.

    Other parameters stay, so a page may bind in two steps (e.g. the model first, then settings
    whose defaults depend on it).
    """
    values = {
        k: p.format(st.session_state[k])
        for k, p in params.items()
        if st.session_state.get(k, p.default) != p.default
    }
    for key in params:
        if key not in values and key in st.query_params:
            del st.query_params[key]
    for key, text in values.items():
        if st.query_params.get(key) != text:
            st.query_params[key] = text
    written = st.session_state.setdefault(WRITTEN_KEY, {})
    written.update({k: values.get(k) for k in params})
    # Streamlit forgets a widget's value when its page is left; keep a plain copy to restore.
    kept = st.session_state.setdefault(KEPT_KEY, {})
    kept.update({k: st.session_state[k] for k in params})


def sync(params: Mapping[str, Param]) -> None:
    """Write the settings to the URL again: call at the end of a page that changes a bound key
    after its widgets ran (e.g. a configuration assembled from several widgets)."""
    _write(params)


def slider(
    label: str, key: str, params: Mapping[str, Param], max_value: int | None = None, **kwargs: Any
) -> None:
    """A slider for the bound setting ``params[key]`` (an :class:`Int`), unless the link hides it.

    Its bounds are the parameter's, stated once; ``max_value`` lowers the top where other
    settings limit it. Its value comes from session state, where :func:`bind` put it. With
    :func:`exact_entry` on it is a number input with the same key and bounds instead.
    """
    if shown(key):
        param = params[key]
        bounded_slider(label, param.lo, _top(param, max_value), key, **kwargs)


def bounded_slider(label: str, lo: float, hi: float, key: str, **kwargs: Any) -> Any:
    """``st.slider(label, lo, hi, key=key, **kwargs)``, or with :func:`exact_entry` on, a number
    input with the same key, bounds, step and help, where the value is typed (WCAG 2.5.7)."""
    _carry_over(key)
    if exact_entry():
        kwargs.pop("format", None)  # a slider's display format (e.g. "%d %%") is not an input's
        return st.number_input(label, lo, hi, key=key, **kwargs)
    return st.slider(label, lo, hi, key=key, **kwargs)


def select_slider(label: str, options: Sequence[Any], key: str, **kwargs: Any) -> Any:
    """``st.select_slider``, or with :func:`exact_entry` on, a select box of the same options."""
    _carry_over(key)
    if key in st.session_state:  # the value is the session's: a default beside it makes Streamlit warn
        kwargs.pop("value", None)
    if exact_entry():
        value = kwargs.pop("value", None)  # left only when the session holds no value yet
        if value is not None:
            kwargs["index"] = list(options).index(value)
        return st.selectbox(label, options, key=key, **kwargs)
    return st.select_slider(label, options, key=key, **kwargs)


def _carry_over(key: str) -> None:
    """Hand the control's current value to whichever widget draws it in this run: a number input
    that replaces a slider is a new widget to Streamlit, which would otherwise start it afresh."""
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]


EXACT_KEY = "exact"  # the sidebar toggle's key, and the URL parameter that turns it on (?exact=1)


def exact_entry() -> bool:
    """Whether the viewer asked to type exact values rather than drag sliders."""
    return bool(st.session_state.get(EXACT_KEY, False))


def exact_entry_toggle() -> None:
    """The sidebar switch "Type exact values": every slider of the lesson becomes a bounded
    number input (or a select box), for those who cannot drag (WCAG 2.5.7). ``?exact=1`` in a
    link turns it on; the choice then holds for the session, on every page."""
    if EXACT_KEY not in st.session_state and st.query_params.get(EXACT_KEY) in ("1", "true"):
        st.session_state[EXACT_KEY] = True
    st.sidebar.toggle(
        "Type exact values",
        key=EXACT_KEY,
        help="Turns every slider into a box where you type the number (or pick it from a list).",
    )


def number_input(
    label: str, key: str, params: Mapping[str, Param], max_value: int | None = None, **kwargs: Any
) -> None:
    """A number input for the bound setting ``params[key]``, bounded and hidden like :func:`slider`."""
    if shown(key):
        param = params[key]
        st.number_input(label, param.lo, _top(param, max_value), key=key, **kwargs)


def _top(param: Param, max_value: int | None) -> int:
    if not isinstance(param, Int):
        raise TypeError(f"a bounded control needs an Int parameter, not {type(param).__name__}")
    return param.hi if max_value is None else min(param.hi, max_value)


def shown(key: str) -> bool:
    """Whether to draw the control ``key``: yes, unless the link hides it (its linked value
    still applies)."""
    return key not in hidden_keys()


def hidden_keys() -> set[str]:
    return {k.strip() for k in st.query_params.get(HIDE, "").split(",") if k.strip()}


def share_box(
    params: Mapping[str, Param],
    labels: Mapping[str, str] | None = None,
    hideable: Iterable[str] | None = None,
    lazy: bool = False,
) -> None:
    """ "Copy link to this view": the page's URL with its settings, and controls to hide.

    ``hideable`` lists the keys offered for hiding (default: every key of ``params``). With
    ``lazy``, the box's contents are built only while it is open (opening it reruns the page or
    fragment): a page whose sliders rerun often then does not rebuild and redraw its caption,
    multiselect and link on every move.
    """
    labels = labels or {}
    hideable = list(params) if hideable is None else list(hideable)
    if lazy:
        box = st.expander(
            "Copy a link to this view", icon=":material/link:", key=SHARE_BOX_KEY, on_change="rerun"
        )
        if not box.open:
            return
    else:
        box = st.expander("Copy a link to this view", icon=":material/link:")
    with box:
        st.caption(
            "Instructors: share this link and the class opens the page with exactly these "
            "settings. Tick controls to hide them, so students see only what the lesson needs."
        )
        hide = st.multiselect(
            "Hide these controls",
            options=hideable,
            default=[k for k in hideable if not shown(k)],
            format_func=lambda k: labels.get(k, k),
            key=HIDE_PICK_KEY,
            select_all=False,  # one click on "Select all" would hide every control of the lesson
        )
        st.code(link_for(params, hide), language=None, wrap_lines=True)


def link_for(params: Mapping[str, Param], hide: Iterable[str] = ()) -> str:
    """The absolute URL of this page with the current settings (and ``hide``) as parameters."""
    query = {
        k: p.format(st.session_state[k])
        for k, p in params.items()
        if st.session_state.get(k, p.default) != p.default
    }
    hide = list(hide)
    if hide:
        query[HIDE] = ",".join(hide)
    return page_link(query)


def page_link(query: Mapping[str, str]) -> str:
    """The absolute URL of this page with ``query`` as its parameters (commas kept readable)."""
    base = (st.context.url or "").split("?")[0]
    return base + ("?" + urlencode(query, safe=",") if query else "")
