"""Quiz me: the app poses a setting, the student answers first, then sees the truth worked out.

Five kinds of question (:data:`KINDS`): a convolution's output size, a pooling's output size,
the value one max/average pooling window produces, a layer's parameter count, a layer's output
shape. :func:`make_question` is deterministic: the same kind, seed, difficulty and question
number give every student the same question, so an instructor's link (mode, seed, difficulty)
gives a whole class the same quiz. Difficulty runs from 1 (small clean numbers) to 5 (dilation,
floors, kernels that do not fit, windows over the edge).

Every answer comes from the tested functions of ``cnn_core`` (``shapes.conv_output_size``,
``shapes.pool_output_size``, ``kernels.pool2d``, ``models.summarize``, ``layer_shapes.shape_chain``),
never from a second copy of the arithmetic. :func:`check` reads the student's text leniently and
returns a :class:`Verdict` with the formula (LaTeX) worked out with the question's numbers.
Pure Python and numpy: no Streamlit, no TensorFlow.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Iterator, Union

import numpy as np

from . import kernels, layer_shapes, models, shapes

KINDS = ("conv_size", "pool_size", "pool_value", "params", "shape")
KIND_TITLES = {
    "conv_size": "a convolution's output size",
    "pool_size": "a pooling layer's output size",
    "pool_value": "the value of one pooling window",
    "params": "a layer's parameter count",
    "shape": "a layer's output shape",
}
# The kinds each page asks; a page's name is accepted wherever a kind is, and mixes its kinds.
PAGE_KINDS = {
    "convolution": ("conv_size",),
    "pooling": ("pool_size", "pool_value"),
    "model": ("params", "shape"),
}
MIN_LEVEL, MAX_LEVEL = 1, 5
UP_AFTER = 2  # right answers in a row that move the difficulty up one level
DOWN_AFTER = 2  # wrong answers in a row that move it down one level
VALUE_TOLERANCE = 0.005  # a pooled average may be given to two decimals
NO_FIT_TEXT = "does not fit"

Answer = Union[int, float, tuple[int, ...], None]  # None: the kernel/window does not fit


@dataclass(frozen=True)
class Question:
    """One question. ``params`` holds its setting (what a page needs to draw the picture):

    conv_size: size, kernel, stride, padding ("valid", "same" or P), dilation;
    pool_size: size, pool, stride, padding ("valid"/"same"), mode ("max"/"average");
    pool_value: grid (rows of ints), pool, stride, padding, mode ("max"/"average"), cell (r, c);
    params: layer ("conv"/"dense"), the summary row asked about, the ModelConfig fields it is cut
    from, and for a conv the code's stride and padding;
    shape: size, channels and layers (tuple of ``layer_shapes.LayerSpec``).
    """

    kind: str
    seed: int
    difficulty: int
    number: int
    prompt: str  # markdown, one or two sentences
    params: dict[str, Any] = field(hash=False)
    code: str = ""  # the Keras lines the question is about, when there are any

    @property
    def form(self) -> str:
        """What an answer looks like: "size", "value", "count" or "shape"."""
        return {
            "conv_size": "size",
            "pool_size": "size",
            "pool_value": "value",
            "params": "count",
            "shape": "shape",
        }[self.kind]


@dataclass(frozen=True)
class Verdict:
    """The reveal. ``correct`` is None when the answer could not be read (it does not count)."""

    correct: bool | None
    answer: Answer  # the true answer
    answer_text: str
    given: Answer  # what the student's text was read as (None if unreadable or "does not fit")
    sentence: str  # right/wrong in words, the truth, and the likely slip when there is one
    formula: tuple[str, ...] = ()  # LaTeX lines with the question's numbers, ending in the truth


@dataclass(frozen=True)
class Score:
    """A session's running score; :meth:`record` returns the next one (and the next level)."""

    right: int = 0
    asked: int = 0
    streak: int = 0  # right answers in a row
    misses: int = 0  # wrong answers in a row
    level: int = MIN_LEVEL

    def record(self, correct: bool | None) -> "Score":
        """Count one verdict: ``UP_AFTER`` right in a row go up a level, ``DOWN_AFTER`` wrong down.

        An unreadable answer (None) changes nothing.
        """
        if correct is None:
            return self
        if correct:
            streak = self.streak + 1
            up = streak % UP_AFTER == 0
            return replace(
                self,
                right=self.right + 1,
                asked=self.asked + 1,
                streak=streak,
                misses=0,
                level=min(MAX_LEVEL, self.level + 1) if up else self.level,
            )
        misses = self.misses + 1
        down = misses >= DOWN_AFTER
        return replace(
            self,
            asked=self.asked + 1,
            streak=0,
            misses=0 if down else misses,
            level=max(MIN_LEVEL, self.level - 1) if down else self.level,
        )

    @property
    def text(self) -> str:
        run = f", {self.streak} in a row" if self.streak > 1 else ""
        return f"{self.right} of {self.asked} right{run} · level {self.level} of {MAX_LEVEL}"


# ---------------------------------------------------------------------------------------------
# Making questions


def make_question(kind: str, seed: int, difficulty: int, number: int = 0) -> Question:
    """Question ``number`` of a quiz of ``kind`` (or a page name of :data:`PAGE_KINDS`).

    Deterministic in (kind, seed, difficulty, number): every student with the same link gets the
    same question. ``difficulty`` 1–5 (clamped).
    """
    kinds = _kinds(kind)
    level = min(MAX_LEVEL, max(MIN_LEVEL, int(difficulty)))
    rng = random.Random(f"cnn-explorer-quiz:{kind}:{int(seed)}:{level}:{int(number)}")
    chosen = kinds[rng.randrange(len(kinds))] if len(kinds) > 1 else kinds[0]
    maker = {
        "conv_size": _conv_size,
        "pool_size": _pool_size,
        "pool_value": _pool_value,
        "params": _params,
        "shape": _shape,
    }[chosen]
    prompt, params, code = maker(rng, level)
    return Question(chosen, int(seed), level, int(number), prompt, params, code)


def question_sequence(kind: str, seed: int, difficulty: int, start: int = 0) -> Iterator[Question]:
    """Questions ``start``, ``start + 1``, ... of one quiz at a fixed difficulty ("next question")."""
    number = start
    while True:
        yield make_question(kind, seed, difficulty, number)
        number += 1


def _kinds(kind: str) -> tuple[str, ...]:
    if kind in PAGE_KINDS:
        return PAGE_KINDS[kind]
    if kind in KINDS:
        return (kind,)
    raise ValueError(f"Unknown quiz {kind!r}: choose one of {', '.join(KINDS + tuple(PAGE_KINDS))}.")


def _conv_size(rng: random.Random, level: int) -> tuple[str, dict[str, Any], str]:
    """Level 1: stride 1, no padding. 2: padding P or 'same'. 3: stride 2–3, no floor.
    4: the floor bites, or dilation. 5: dilation, floors and (one time in three) no fit."""
    # Levels 4 and 5 pick their case first, so rejection does not tilt the mix.
    target = "plain"
    if level == 4:
        target = rng.choice(("floor", "floor", "dilation"))
    elif level == MAX_LEVEL:
        target = rng.choice(("no fit", "floor", "dilation"))
    want_no_fit = target == "no fit"
    for _ in range(10_000):
        size = rng.choice((5, 6, 7, 8, 9, 10, 12, 28)) if level <= 2 else rng.randint(5, 32)
        kernel = rng.choice((1, 3, 3, 5)) if level == 1 else rng.choice((2, 3, 3, 4, 5, 7))
        stride, dilation, padding = 1, 1, "valid"
        if level >= 2:
            padding = rng.choice(("valid", "same", 1, 2) if level == 2 else ("valid", "same", 1, 2, 3))
        if level >= 3:
            stride = rng.choice((1, 2, 2, 3))
        if target == "dilation" or (want_no_fit and rng.random() < 0.5):
            stride, dilation = 1, rng.choice((2, 3))
        if want_no_fit:
            size = rng.randint(2, 6)
        params = dict(size=size, kernel=kernel, stride=stride, padding=padding, dilation=dilation)
        kind = _conv_case(params)
        if want_no_fit:
            ok = kind == "no fit"
        elif level <= 2:
            ok = kind == "exact" and (level == 1 or padding != "valid") and size > kernel
        elif level == 3:
            ok = kind == "exact" and stride > 1
        elif target == "dilation":
            ok = kind != "no fit" and padding != "valid"
        else:
            ok = kind == "floor"
        if ok:
            pad = {"valid": "no padding ('valid')", "same": "padding 'same'"}.get(
                padding, f"padding P = {padding} on each side"
            )  # type: ignore[arg-type]
            dil = f", dilation D = {dilation}" if dilation > 1 else ""
            prompt = (
                f"{_article(size)} {size}×{size} input, a {kernel}×{kernel} kernel, stride S = {stride}, {pad}{dil}. "
                f"What is the output size O? (Type *{NO_FIT_TEXT}* if the kernel does not fit.)"
            )
            return prompt, params, shapes.conv_layer_code(size, kernel, stride, padding, dilation)
    raise RuntimeError("no convolution question found")  # pragma: no cover  (10,000 draws)


def _article(size: int) -> str:
    return "An" if str(size).startswith("8") or size in (11, 18) else "A"


def _conv_case(p: dict[str, Any]) -> str:
    """'exact', 'floor' or 'no fit', as ``shapes.conv_arithmetic`` decides."""
    try:
        arithmetic = shapes.conv_arithmetic(p["size"], p["kernel"], p["stride"], p["padding"], p["dilation"])
    except ValueError:
        return "no fit"
    return "exact" if arithmetic.exact else "floor"


def _pool_size(rng: random.Random, level: int) -> tuple[str, dict[str, Any], str]:
    """Level 1: 2×2, stride 2, even sizes. 2: pool 2–3, no floor. 3: stride ≠ pool or 'same'.
    4: the floor (valid) or the ceiling (same) bites. 5: mixed, some windows that do not fit."""
    want_no_fit = level == MAX_LEVEL and rng.random() < 1 / 4
    for _ in range(10_000):
        size = rng.choice((4, 6, 8, 12, 14, 16, 24, 28)) if level <= 2 else rng.randint(3, 31)
        pool = 2 if level == 1 else rng.choice((2, 3))
        stride, padding = pool, "valid"
        if level >= 3:
            stride = rng.choice((1, 2, 3))
            padding = rng.choice(("valid", "same"))
        if level >= 4:
            pool = rng.choice((2, 3, 4))
        if want_no_fit:
            size, padding = rng.randint(1, pool - 1), "valid"
        try:
            out = shapes.pool_output_size(size, pool, stride, padding)
            # Whether the formula needs its floor/ceiling: the last window ends on the last pixel.
            ends = shapes.pool_window_positions(size, pool, stride, padding)[-1][-1] == size - 1
            exact = ends and (padding == "valid" or size % stride == 0)
            case = "exact" if exact else "rounded"
        except ValueError:
            out, case = 0, "no fit"
        if want_no_fit:
            ok = case == "no fit"
        elif level <= 2:
            ok = case == "exact" and out > 1
        elif level == 3:
            ok = case == "exact" and (stride != pool or padding == "same")
        else:
            ok = case == "rounded"
        if ok:
            stride_text = f"stride {stride}" + (" (the default: the pool size)" if stride == pool else "")
            layer = rng.choice(("MaxPooling2D", "AveragePooling2D"))
            prompt = (
                f"{layer[: -len('Pooling2D')]} pooling with a {pool}×{pool} window, "
                f"{stride_text}, padding '{padding}', on a {size}×{size} input. What is the output "
                f"size? (Type *{NO_FIT_TEXT}* if the window does not fit.)"
            )
            code = f'layers.{layer}(({pool}, {pool}), strides={stride}, padding="{padding}")'
            mode = "max" if layer == "MaxPooling2D" else "average"
            return prompt, dict(size=size, pool=pool, stride=stride, padding=padding, mode=mode), code
    raise RuntimeError("no pooling question found")  # pragma: no cover


def _pool_value(rng: random.Random, level: int) -> tuple[str, dict[str, Any], str]:
    """Level 1: max, 2×2 stride 2 on 4×4 digits 0–9. 2: average too. 3: 3×3 windows, overlapping
    strides. 4: negative values, non-whole averages. 5: 'same' padding, a window over the edge."""
    mode = "max" if level == 1 else rng.choice(("max", "average"))
    for _ in range(10_000):
        n = 4 if level <= 2 else rng.choice((5, 6))
        low = -9 if level >= 4 else 0
        grid = tuple(tuple(rng.randint(low, 9) for _ in range(n)) for _ in range(n))
        pool = 2 if level <= 2 else rng.choice((2, 3))
        stride = pool if level <= 2 else rng.choice((1, 2))
        padding = "same" if level == MAX_LEVEL else "valid"
        try:
            out = shapes.pool_output_size(n, pool, stride, padding)
        except ValueError:
            continue
        cell = (rng.randrange(out), rng.randrange(out))
        rows = shapes.pool_window_positions(n, pool, stride, padding)[cell[0]]
        cols = shapes.pool_window_positions(n, pool, stride, padding)[cell[1]]
        over_edge = len(rows) < pool or len(cols) < pool
        if level == MAX_LEVEL and (not over_edge or len(rows) * len(cols) < 2):
            continue  # over the edge, with at least two real pixels to pool
        params = dict(grid=grid, pool=pool, stride=stride, padding=padding, mode=mode, cell=cell)
        value = _pool_value_answer(params)
        if level <= 3 and mode == "average" and value != int(value):
            continue  # clean averages first
        if level == 4 and (mode == "max" and value >= 0 or mode == "average" and value == int(value)):
            continue  # a negative max, or an average that is not whole
        where = (
            f"the window of output cell (row {cell[0]}, column {cell[1]})"
            if over_edge
            else f"the window over rows {rows[0]}–{rows[-1]}, columns {cols[0]}–{cols[-1]}"
        )
        edge = " With 'same' padding that window hangs over the edge of the grid." if over_edge else ""
        prompt = (
            f"{mode.capitalize()} pooling, {pool}×{pool} window, stride {stride}, padding '{padding}', "
            f"on the {n}×{n} grid below (rows and columns counted from 0). What value does "
            f"{where} produce?{edge}" + (" Two decimals are enough." if mode == "average" else "")
        )
        layer = "MaxPooling2D" if mode == "max" else "AveragePooling2D"
        code = f'layers.{layer}(({pool}, {pool}), strides={stride}, padding="{padding}")'
        return prompt, params, code
    raise RuntimeError("no pooling-window question found")  # pragma: no cover


def _params(rng: random.Random, level: int) -> tuple[str, dict[str, Any], str]:
    """Level 1: Conv2D 3×3 on one grey channel. 2: several input channels. 3: 1×1/5×5 kernels
    or a Dense layer after a small Flatten. 4: the size, stride, padding given (they do not
    matter), Dense after 7×7×C. 5: no bias (BatchNorm follows), or Dense after conv + pool."""
    layer = "conv" if level <= 2 else rng.choice(("conv", "dense"))
    if layer == "conv":
        kernel = 3 if level <= 2 else rng.choice((1, 3, 5))
        channels = 1 if level == 1 else rng.choice((3, 8, 16, 24, 32))
        filters = rng.choice((8, 16, 24, 32)) if level == 1 else rng.choice((16, 24, 32, 36, 48, 64))
        size = 28 if level <= 3 else rng.choice((14, 28, 32, 64, 224))
        stride = 1 if level <= 3 else rng.choice((1, 2))
        padding = "same" if level <= 3 else rng.choice(("same", "valid"))
        bias = not (level == MAX_LEVEL and rng.random() < 0.5)
        extra = f", strides={stride}" if stride > 1 else ""
        code = (
            f'layers.Conv2D({filters}, ({kernel}, {kernel}){extra}, padding="{padding}"'
            + (", use_bias=False)" if not bias else ")")
            + f"  # on an input of shape ({size}, {size}, {channels})"
        )
        config = dict(
            input_size=size,
            channels=channels,
            filters=filters,
            kernel_size=kernel,
            batch_norm=not bias,
            padding="same",
            pool="none",
            dense=10,
        )
        prompt = (
            f"How many parameters (weights and biases) does this Conv2D layer have, on a "
            f"{size}×{size}×{channels} input?"
            + (" It has no bias (a BatchNormalization follows it)." if not bias else "")
        )
        # The code's stride and padding do not change the count; the reveal's picture uses them.
        return (
            prompt,
            dict(layer="conv", row="block1_conv1", config=config, stride=stride, padding=padding),
            code,
        )
    units = rng.choice((10, 32, 64, 128, 256))
    if level == MAX_LEVEL:  # Dense after a conv block and pooling: find the flatten size first
        size, channels = rng.choice((28, 28, 32)), 1
        filters, kernel = rng.choice((16, 24, 32)), 3
        padding = rng.choice(("same", "valid"))
        config = dict(
            input_size=size,
            channels=channels,
            filters=filters,
            kernel_size=kernel,
            batch_norm=False,
            padding=padding,
            pool="max",
            dense=units,
        )
        code = "\n".join(
            (
                f"layers.Input(shape=({size}, {size}, {channels}))",
                f'layers.Conv2D({filters}, ({kernel}, {kernel}), padding="{padding}")',
                "layers.MaxPooling2D((2, 2))",
                "layers.Flatten()",
                f"layers.Dense({units})",
            )
        )
        prompt = f"How many parameters does the Dense({units}) layer at the end of this stack have?"
        return prompt, dict(layer="dense", row="fc1", config=config), code
    side = rng.choice((2, 3, 4)) if level == 3 else rng.choice((5, 6, 7))
    channels = rng.choice((4, 8, 10)) if level == 3 else rng.choice((24, 32, 36, 64))
    config = dict(
        input_size=side,
        channels=channels,
        filters=0,
        kernel_size=0,
        batch_norm=False,
        padding="same",
        pool="none",
        dense=units,
    )
    code = f"layers.Flatten()  # of a {side}×{side}×{channels} feature map\nlayers.Dense({units})"
    prompt = (
        f"A {side}×{side}×{channels} feature map is flattened and fed to Dense({units}). "
        "How many parameters does the Dense layer have?"
    )
    return prompt, dict(layer="dense", row="fc1", config=config), code


def _shape(rng: random.Random, level: int) -> tuple[str, dict[str, Any], str]:
    """Level 1: Conv2D 'same' or a 2×2 pool. 2: 'valid' convs, Flatten. 3: strides and odd sizes.
    4: two layers. 5: three or four layers ending in Flatten, 'valid' paddings and floors."""
    for _ in range(10_000):
        size = rng.choice((28, 32)) if level <= 2 else rng.randint(9, 32)
        channels = rng.choice((1, 3)) if level <= 3 else rng.choice((1, 3, 16))
        count = 1 if level <= 3 else (2 if level == 4 else rng.choice((3, 4)))
        layers: list[layer_shapes.LayerSpec] = []
        for i in range(count):
            kind = rng.choice(
                ("conv", "pool") if level == 1 or i < count - 1 or level < 5 else ("conv", "pool", "flatten")
            )
            if level == 2 and count == 1:
                kind = rng.choice(("conv", "pool", "flatten"))
            if level == MAX_LEVEL and i == count - 1:
                kind = "flatten"
            name = f"layer{i + 1}"
            if kind == "conv":
                kernel = 3 if level <= 2 else rng.choice((3, 5))
                stride = 1 if level <= 2 else rng.choice((1, 2))
                padding = "same" if level == 1 else rng.choice(("same", "valid"))
                layers.append(
                    layer_shapes.LayerSpec(name, "conv", kernel, stride, padding, rng.choice((8, 16, 32, 64)))
                )
            elif kind == "pool":
                pool = 2 if level <= 3 else rng.choice((2, 3))
                layers.append(layer_shapes.LayerSpec(name, "pool", pool, pool, "valid"))
            else:
                layers.append(layer_shapes.LayerSpec(name, "flatten"))
        if level == 2 and layers[0].kind == "flatten":
            size = rng.choice((4, 7, 14))
            channels = rng.choice((8, 16, 32, 36))
        spec = dict(size=size, channels=channels, layers=tuple(layers))
        try:
            steps = layer_shapes.shape_chain(spec["layers"], size, channels)
        except ValueError:
            continue
        if (
            level >= 3
            and all(step.shape[0] % 2 == 0 for step in steps[:-1] if len(step.shape) == 3)
            and level != 4
        ):
            continue  # odd sizes from level 3 on, so a floor is in play
        code = "\n".join(
            [f"layers.Input(shape=({size}, {size}, {channels}))"] + [_layer_code(layer) for layer in layers]
        )
        which = "this layer" if count == 1 else "the last layer"
        prompt = (
            f"What is the output shape of {which} (height × width × channels, without the "
            f"batch axis; one number after Flatten)?"
        )
        return prompt, spec, code
    raise RuntimeError("no shape question found")  # pragma: no cover


def _layer_code(layer: layer_shapes.LayerSpec) -> str:
    if layer.kind == "conv":
        extra = f", strides={layer.stride}" if layer.stride and layer.stride > 1 else ""
        return f'layers.Conv2D({layer.units}, ({layer.size}, {layer.size}){extra}, padding="{layer.padding}")'
    if layer.kind == "pool":
        return shapes.pool_layer_code(layer.size, layer.stride or layer.size, layer.padding)
    return "layers.Flatten()"


# ---------------------------------------------------------------------------------------------
# The true answer, always from cnn_core's tested functions


def true_answer(question: Question) -> Answer:
    """The answer, computed by cnn_core: None when the kernel or window does not fit."""
    p = question.params
    if question.kind == "conv_size":
        try:
            return shapes.conv_output_size(p["size"], p["kernel"], p["stride"], p["padding"], p["dilation"])
        except ValueError:
            return None
    if question.kind == "pool_size":
        try:
            return shapes.pool_output_size(p["size"], p["pool"], p["stride"], p["padding"])
        except ValueError:
            return None
    if question.kind == "pool_value":
        return _pool_value_answer(p)
    if question.kind == "params":
        return _param_row(p).params
    if question.kind == "shape":
        return layer_shapes.shape_chain(p["layers"], p["size"], p["channels"])[-1].shape
    raise ValueError(f"Unknown question kind {question.kind!r}.")


def _pool_value_answer(p: dict[str, Any]) -> float:
    pooled = kernels.pool2d(np.array(p["grid"], dtype=float), p["pool"], p["stride"], p["padding"], p["mode"])
    value = float(pooled[p["cell"]])
    return int(value) if value == int(value) else value


def _param_config(c: dict[str, Any]) -> models.ModelConfig:
    blocks = (
        ()
        if c["filters"] == 0
        else (
            models.ConvBlock(
                filters=c["filters"],
                kernel_size=c["kernel_size"],
                padding=c["padding"],
                pool=c["pool"],
                batch_norm=c["batch_norm"],
            ),
        )
    )
    return models.ModelConfig(
        blocks=blocks, dense_units=c["dense"], dropout=0.0, input_size=c["input_size"], channels=c["channels"]
    )


def _param_row(p: dict[str, Any]) -> models.LayerRow:
    rows = models.summarize(_param_config(p["config"]))
    return next(row for row in rows if row.name == p["row"])


_SPEC_TYPES = {"conv": "Conv2D", "pool": "MaxPooling2D", "flatten": "Flatten", "dense": "Dense"}


def question_rows(question: Question) -> list[models.LayerRow]:
    """The layers a params or shape question is about, from its input to the layer asked, as
    summary rows (shapes without the batch axis) for ``figures.model.shape_flow_figure``."""
    p = question.params
    if question.kind == "shape":
        steps = layer_shapes.shape_chain(p["layers"], p["size"], p["channels"])
        return [models.LayerRow("input", "InputLayer", steps[0].shape, 0)] + [
            models.LayerRow(step.name, _SPEC_TYPES[layer.kind], step.shape, 0)
            for layer, step in zip(p["layers"], steps[1:])
        ]
    if question.kind == "params":
        rows = models.summarize(_param_config(p["config"]))
        rows = rows[: next(i for i, row in enumerate(rows) if row.name == p["row"]) + 1]
        if p["layer"] == "conv":  # the code's stride and padding (the count does not depend on them)
            cfg, conv = p["config"], rows[-1]
            side = shapes.conv_output_size(
                cfg["input_size"], cfg["kernel_size"], p.get("stride", 1), p.get("padding", cfg["padding"])
            )
            rows[-1] = replace(conv, output_shape=(side, side, conv.output_shape[2]))
        return rows
    raise ValueError(f"A {question.kind} question has no layers to draw.")


# ---------------------------------------------------------------------------------------------
# Reading the student's answer

_NO_FIT_WORDS = re.compile(
    r"^(none|no|nothing|empty|impossible|error|n/?a|-|—|x|✗|"
    r"(it )?(does ?n[o']?t|does not|doesnt|won'?t|will not|can'?t|cannot|can not) fit|no fit|not fit)$"
)
_NUMBER = r"-?\d+(?:[.,]\d+)?"


class Unreadable(ValueError):
    """The student's text is not an answer of the expected form; the message says what is."""


def parse_answer(text: str, form: str) -> Answer:
    """Read ``text`` as an answer of ``form`` ("size", "value", "count" or "shape").

    Lenient: spaces, thousands separators, "14x14", "14 × 14 × 32", "(None, 14, 14, 32)",
    "7/2", and "none"/"doesn't fit"/"0" for a kernel that does not fit (sizes only).
    Raises :class:`Unreadable` with a sentence saying what was expected.
    """
    raw = " ".join(str(text).strip().lower().replace("’", "'").split())
    if not raw:
        raise Unreadable("Type an answer first.")
    if form == "size":
        if _NO_FIT_WORDS.match(raw.strip(".!")):
            return None
        numbers = _integers(raw.replace("none", ""))
        if numbers is None:
            raise Unreadable(
                f"“{text}” is not a size: type a whole number such as 14, 14×14, or “{NO_FIT_TEXT}”."
            )
        if len(set(numbers)) != 1:
            raise Unreadable(f"“{text}”: the inputs here are square, so give one number (or two equal ones).")
        return None if numbers[0] <= 0 else numbers[0]
    if form == "count":
        compact = re.sub(r"(?<=\d)[,_ '](?=\d{3}\b)", "", raw)
        if not re.fullmatch(r"\d+", compact):
            raise Unreadable(f"“{text}” is not a count: type a whole number such as 320 or 225,920.")
        return int(compact)
    if form == "value":
        compact = raw.replace(" ", "").replace("−", "-")
        try:
            if re.fullmatch(r"-?\d+/\d+", compact):
                value = Fraction(compact)
            elif re.fullmatch(_NUMBER, compact):
                value = Fraction(compact.replace(",", "."))
            else:
                raise ValueError
        except (ValueError, ZeroDivisionError):
            raise Unreadable(f"“{text}” is not a number: type a value such as 7, -3, 4.5 or 9/2.") from None
        return float(value)
    if form == "shape":
        numbers = _integers(raw.replace("none", ""))
        if numbers is None or any(n <= 0 for n in numbers) or len(numbers) not in (1, 3):
            raise Unreadable(
                f"“{text}” is not a shape: type height × width × channels such as "
                "14×14×32 or (14, 14, 32), or one number after a Flatten."
            )
        return tuple(numbers)
    raise ValueError(f"Unknown answer form {form!r}.")


def _integers(raw: str) -> list[int] | None:
    """The whole numbers in "14x14", "14 × 14 × 32", "(14, 14, 32)", "[14 14]"; None if other text."""
    inner = raw.strip().strip("()[]{} ").rstrip(",")
    parts = [part for part in re.split(r"\s*(?:[x×*,;]|by)\s*|\s+", inner) if part]
    if not parts or not all(re.fullmatch(r"-?\d+", part) for part in parts):
        return None
    return [int(part) for part in parts]


# ---------------------------------------------------------------------------------------------
# Checking and explaining


def check(question: Question, answer_text: str) -> Verdict:
    """Compare the student's text with cnn_core's answer; explain with the formula either way."""
    truth = true_answer(question)
    truth_text = describe_answer(question, truth)
    formula = tuple(explain(question))
    try:
        given = parse_answer(answer_text, question.form)
    except Unreadable as exc:
        return Verdict(None, truth, truth_text, None, f"{exc} It does not count as an answer.", formula)
    if question.form == "value":
        correct = abs(float(given) - float(truth)) <= VALUE_TOLERANCE + 1e-12  # type: ignore[arg-type]
    else:
        correct = given == truth
    if correct:
        sentence = f"Right: {truth_text}."
        if question.kind == "pool_value" and isinstance(truth, float) and given != truth:
            sentence = f"Right: {truth_text} (exactly {truth:.4g})."
    else:
        said = NO_FIT_TEXT if given is None else _answer_text_plain(given)
        sentence = f"Not quite: you said {said}; the answer is {truth_text}."
        slip = likely_slip(question, given)
        if slip:
            sentence += " " + slip
    return Verdict(bool(correct), truth, truth_text, given, sentence, formula)


def describe_answer(question: Question, answer: Answer) -> str:
    """An answer in words: "14 (14×14)", "does not fit", "(14, 14, 32)", "2.25", "320"."""
    if answer is None:
        return f"it {NO_FIT_TEXT}"
    if question.form == "size":
        return f"{answer} ({answer}×{answer})"
    return _answer_text_plain(answer)


def _answer_text_plain(answer: Answer) -> str:
    if isinstance(answer, tuple):
        return "×".join(str(n) for n in answer) if len(answer) > 1 else f"{answer[0]:,} (a flat vector)"
    if isinstance(answer, float):
        return f"{answer:.4g}" if answer != round(answer, 2) else f"{answer:g}"
    return f"{answer:,}"


def likely_slip(question: Question, given: Answer) -> str:
    """A sentence naming the mistake that gives ``given``, if a common one does; else ""."""
    p = question.params
    if question.kind == "conv_size" and isinstance(given, int):
        tries = []
        if p["padding"] not in ("valid", 0):
            tries.append(("Did you leave out the padding?", dict(padding="valid")))
        if p["dilation"] > 1:
            tries.append(
                (
                    f"Did you use K = {p['kernel']} instead of the dilated span "
                    f"K_eff = {shapes.effective_kernel_size(p['kernel'], p['dilation'])}?",
                    dict(dilation=1),
                )
            )
        if p["stride"] > 1:
            tries.append(("Did you forget to divide by the stride?", dict(stride=1)))
        for sentence, change in tries:
            q = {**p, **change}
            try:
                if (
                    shapes.conv_output_size(q["size"], q["kernel"], q["stride"], q["padding"], q["dilation"])
                    == given
                ):
                    return sentence
            except ValueError:
                pass
        truth = true_answer(question)
        if truth is not None and given == truth - 1:
            return "Did you forget the + 1 (the first window's position)?"
        if truth is not None and given == truth + 1 and _conv_case(p) == "floor":
            return "Did you round up? The formula floors: a window that would hang over the end is not taken."
    if question.kind == "conv_size" and given is None:
        return "The kernel fits: count the padded input against the kernel's span."
    if question.kind == "pool_size" and isinstance(given, int):
        truth = true_answer(question)
        if truth is not None and p["padding"] == "valid" and given == truth + 1:
            return "Did you round up? 'valid' pooling floors: a part-window at the end is dropped."
        if truth is not None and p["padding"] == "same" and given == truth - 1:
            return "Did you round down? 'same' pooling keeps the part-window at the end: ⌈I / S⌉."
    if question.kind == "pool_value" and given is not None and p["padding"] == "same":
        values = np.array(_window_values(p), dtype=float)
        pool = p["pool"]
        if p["mode"] == "average" and abs(float(given) - values.sum() / pool**2) <= VALUE_TOLERANCE:
            return (
                "You divided by the whole window; TensorFlow averages the real pixels only "
                f"({values.size} here), padding is not counted."
            )
        if p["mode"] == "max" and given == 0 and values.max() < 0:
            return "Padding never wins a max in TensorFlow: the window's real pixels only."
    if question.kind == "params" and isinstance(given, int):
        row = _param_row(p)
        cfg = p["config"]
        if p["layer"] == "conv" and not cfg["batch_norm"] and given == row.params - cfg["filters"]:
            return f"Did you forget the biases? One per filter: + {cfg['filters']}."
        if p["layer"] == "conv" and cfg["batch_norm"] and given == row.params + cfg["filters"]:
            return "With use_bias=False there are no biases: just K × K × C_in × F."
        if p["layer"] == "dense" and given == row.params - cfg["dense"]:
            return f"Did you forget the biases? One per unit: + {cfg['dense']}."
    if question.kind == "shape" and isinstance(given, tuple):
        truth = true_answer(question)
        if isinstance(truth, tuple) and len(truth) == 3 and given == (truth[2], truth[0], truth[1]):
            return "That is channels first; Keras puts the channels last: (height, width, channels)."
    return ""


def _window_values(p: dict[str, Any]) -> list[int]:
    return [p["grid"][r][c] for r, c in _cells(p)]


def window_cells(question: Question) -> list[tuple[int, int]]:
    """The (row, column) input cells of a pool_value question's window (real pixels only)."""
    return _cells(question.params)


def _cells(p: dict[str, Any]) -> list[tuple[int, int]]:
    positions = shapes.pool_window_positions(len(p["grid"]), p["pool"], p["stride"], p["padding"])
    return [(r, c) for r in positions[p["cell"][0]] for c in positions[p["cell"][1]]]


def explain(question: Question) -> list[str]:
    """LaTeX lines: the formula, then with the question's numbers, ending in cnn_core's answer."""
    p = question.params
    truth = true_answer(question)
    if question.kind == "conv_size":
        return _explain_conv(p, truth)
    if question.kind == "pool_size":
        size, pool, stride = p["size"], p["pool"], p["stride"]
        if truth is None:
            return [rf"F = {pool} > I = {size}", r"\text{the window does not fit ('valid' pads nothing)}"]
        if p["padding"] == "same":
            return [
                r"O = \left\lceil \frac{I}{S} \right\rceil",
                rf"O = \left\lceil \frac{{{size}}}{{{stride}}} \right\rceil = {truth}",
            ]
        return [
            r"O = \left\lfloor \frac{I - F}{S} \right\rfloor + 1",
            rf"O = \left\lfloor \frac{{{size} - {pool}}}{{{stride}}} \right\rfloor + 1 = {truth}",
        ]
    if question.kind == "pool_value":
        values = _window_values(p)
        listed = ", ".join(str(v) for v in values)
        edge = []
        if len(values) < p["pool"] ** 2:  # 'same' padding: TensorFlow pools the real pixels only
            edge = [
                rf"\text{{over the edge: {len(values)} of {p['pool']}$\times${p['pool']} cells are real; "
                rf"padding is not {'a candidate' if p['mode'] == 'max' else 'counted'}}}"
            ]
        if p["mode"] == "max":
            return edge + [rf"\max({listed}) = {truth}"]
        terms = str(values[0]) + "".join(f" - {-v}" if v < 0 else f" + {v}" for v in values[1:])  # 2×2
        shown = f"{truth:.4g}" if isinstance(truth, float) else str(truth)
        if len(values) <= 4:
            return edge + [rf"\frac{{{terms}}}{{{len(values)}}} = {shown}"]
        total = round(float(truth) * len(values))  # the window's sum, read back from pool2d's mean
        width = len({c for _, c in _cells(p)})  # one line per window row, to fit a phone's width
        rows = [values[i : i + width] for i in range(0, len(values), width)]
        lines = [
            " ".join((f"- {-v}" if v < 0 else f"+ {v}") if i or r else str(v) for i, v in enumerate(row))
            for r, row in enumerate(rows)
        ]
        summed = r"\begin{aligned}\text{sum} &= " + r" \\ &\quad ".join(lines) + rf" = {total}\end{{aligned}}"
        return edge + [summed, rf"\frac{{{total}}}{{{len(values)}}} = {shown}"]
    if question.kind == "params":
        row = _param_row(p)
        general = (
            r"\text{params} = K \times K \times C_{in} \times F + F"
            if p["layer"] == "conv"
            else r"\text{params} = n_{in} \times n_{out} + n_{out}"
        )
        if p["layer"] == "conv" and p["config"]["batch_norm"]:
            general = r"\text{params} = K \times K \times C_{in} \times F\ \ (\text{no bias})"
        return [general, r"\text{params} = " + _latex_text(row.params_formula)]
    if question.kind == "shape":
        steps = layer_shapes.shape_chain(p["layers"], p["size"], p["channels"])
        # Numbered like the code's layer lines; short enough for a phone's width.
        return [
            rf"{number}.\ {_latex_text(step.how)} \Rightarrow {_shape_latex(step.shape)}"
            for number, step in enumerate(steps[1:], start=1)
        ]
    raise ValueError(f"Unknown question kind {question.kind!r}.")


def _explain_conv(p: dict[str, Any], truth: Answer) -> list[str]:
    size, kernel, stride, padding, dilation = (
        p[k] for k in ("size", "kernel", "stride", "padding", "dilation")
    )
    before, after = shapes.padding_amounts(size, kernel, stride, padding, dilation)
    k_eff = shapes.effective_kernel_size(kernel, dilation)
    lines = []
    if dilation > 1:
        lines.append(
            rf"K_{{eff}} = K + (K - 1)(D - 1) = {kernel} + {kernel - 1}\cdot{dilation - 1} = {k_eff}"
        )
    if padding == "same":
        lines.append(rf"\text{{'same': }} P_{{before}} + P_{{after}} = {before} + {after}")
        pad = f" + {before} + {after}"
    elif padding == "valid" or padding == 0:
        pad = ""
    else:
        pad = rf" + 2\cdot{padding}"
    k_text = "K_{eff}" if dilation > 1 else "K"
    general_pad = "" if not pad else (" + P_{before} + P_{after}" if padding == "same" else " + 2P")
    if truth is None:
        padded = f"I{general_pad} = {size}{pad} = {size + before + after}" if pad else f"I = {size}"
        return lines + [rf"{k_text} = {k_eff} > {padded}", r"\text{the kernel does not fit}"]
    arithmetic = shapes.conv_arithmetic(size, kernel, stride, padding, dilation)
    frac = rf"\frac{{{size}{pad} - {k_eff}}}{{{stride}}}"
    floor_step = "" if arithmetic.exact else (rf" = \lfloor {arithmetic.numerator / stride:.4g} \rfloor + 1")
    lines.append(rf"O = \left\lfloor \frac{{I{general_pad} - {k_text}}}{{S}} \right\rfloor + 1")
    lines.append(rf"O = \left\lfloor {frac} \right\rfloor + 1{floor_step} = {truth}")
    return lines


def _latex_text(text: str) -> str:
    """cnn_core's plain formula text ("3×3×1×32 + 32 = 320", "⌊(28 − 3 + 1 + 1) / 1⌋ + 1") in LaTeX."""
    out = (
        text.replace(" · no weights", " no weights")
        .replace(",", "{,}")
        .replace("×", r" \times ")
        .replace("−", "-")
        .replace("·", r"\cdot")
    )
    out = (
        out.replace("⌊", r"\lfloor ")
        .replace("⌋", r"\rfloor ")
        .replace("⌈", r"\lceil ")
        .replace("⌉", r"\rceil ")
    )
    return out.replace(" no weights", "")


def _shape_latex(shape: tuple[int, ...]) -> str:
    return r" \times ".join(str(n) for n in shape) if len(shape) > 1 else f"{shape[0]}"
