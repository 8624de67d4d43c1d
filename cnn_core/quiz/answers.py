"""Reading the student's text as an answer, leniently: "14x14", "(None, 14, 14, 32)", "225,920",
"9/2", "doesn't fit"; and writing an answer back in words."""

from __future__ import annotations

import re
from fractions import Fraction

from .question import NO_FIT_TEXT, Answer

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
    readers = {"size": _size, "count": _count, "value": _value, "shape": _shape}
    if form not in readers:
        raise ValueError(f"Unknown answer form {form!r}.")
    return readers[form](raw, text)


def _size(raw: str, text: str) -> int | None:
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


def _count(raw: str, text: str) -> int:
    compact = re.sub(r"(?<=\d)[,_ '](?=\d{3}\b)", "", raw)
    if not re.fullmatch(r"\d+", compact):
        raise Unreadable(f"“{text}” is not a count: type a whole number such as 320 or 225,920.")
    return int(compact)


def _value(raw: str, text: str) -> float:
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


def _shape(raw: str, text: str) -> tuple[int, ...]:
    numbers = _integers(raw.replace("none", ""))
    if numbers is None or any(n <= 0 for n in numbers) or len(numbers) not in (1, 3):
        raise Unreadable(
            f"“{text}” is not a shape: type height × width × channels such as "
            "14×14×32 or (14, 14, 32), or one number after a Flatten."
        )
    return tuple(numbers)


def _integers(raw: str) -> list[int] | None:
    """The whole numbers in "14x14", "14 × 14 × 32", "(14, 14, 32)", "[14 14]"; None if other text."""
    inner = raw.strip().strip("()[]{} ").rstrip(",")
    parts = [part for part in re.split(r"\s*(?:[x×*,;]|by)\s*|\s+", inner) if part]
    if not parts or not all(re.fullmatch(r"-?\d+", part) for part in parts):
        return None
    return [int(part) for part in parts]


def answer_words(answer: Answer) -> str:
    """An answer in plain words: "14×14×32", "1,764 (a flat vector)", "2.25", "320"."""
    if isinstance(answer, tuple):
        return "×".join(str(n) for n in answer) if len(answer) > 1 else f"{answer[0]:,} (a flat vector)"
    if isinstance(answer, float):
        return f"{answer:.4g}" if answer != round(answer, 2) else f"{answer:g}"
    return f"{answer:,}"
