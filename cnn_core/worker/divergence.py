"""When a run has diverged: a loss that became NaN or infinite, or one that exploded.

A healthy classifier's loss starts near ln(10) ≈ 2.3 and falls. Keras clips probabilities at
1e-7, so a diverged network that is confidently wrong averages about -ln(1e-7) ≈ 16; a mean
above 3 × ln(classes) over the last few batches means the weights blew up, even without a NaN.
"""

from __future__ import annotations

import math

EXPLODED_FACTOR = 3.0
EXPLODED_WINDOW = 10


def divergence_message(
    loss: float, recent: list[float], learning_rate: float, where: str, num_classes: int = 10
) -> str | None:
    """Why training must stop, or None while the loss looks healthy (checked every batch, so the
    healthy path does no more than two comparisons and a mean of ten numbers).

    ``loss`` is the last batch's loss, ``recent`` the last batches' losses (newest last) and
    ``where`` says when, e.g. "epoch 2, batch 37".
    """
    if math.isfinite(loss):
        if len(recent) < EXPLODED_WINDOW:
            return None
        mean = math.fsum(recent[-EXPLODED_WINDOW:]) / EXPLODED_WINDOW
        if mean <= EXPLODED_FACTOR * math.log(num_classes):
            return None
    advice = (
        f"Start again with a lower learning rate, e.g. {learning_rate / 10:.3g} (10× lower); the "
        "tutorial uses 0.01 with Adam."
    )
    if not math.isfinite(loss):
        became = "NaN (not a number)" if math.isnan(loss) else "infinite"
        return (
            f"Training stopped at {where}: the loss became {became}. "
            f"The steps were too large (learning rate {learning_rate:.3g}), the weights overflowed "
            f"and the network can no longer learn. {advice}"
        )
    return (
        f"Training stopped at {where}: the loss exploded to {mean:.1f} (a network that guesses "
        f"scores about {math.log(num_classes):.1f}). The steps are too large for this model "
        f"(learning rate {learning_rate:.3g}): the weights jump past the minimum and the "
        f"network ends up confidently wrong. {advice}"
    )
