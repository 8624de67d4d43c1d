"""What the Look inside tab shows about a network, as plain data: a convolution layer as a learner
reads it, and a heat map of where it looked. The worker computes them from a Keras model
(:mod:`cnn_core.worker.insight`); the pages and their figures read them without TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ConvLayerInfo:
    """One convolution layer as a learner reads it. Shapes exclude the batch axis."""

    name: str
    filters: int
    kernel_size: tuple[int, int]
    strides: tuple[int, int]
    padding: str  # "same" or "valid"
    activation: str  # e.g. "relu", or "linear" when a BatchNormalization follows
    input_shape: tuple[int, int, int]
    output_shape: tuple[int, int, int]
    use_bias: bool = True

    @property
    def params(self) -> int:
        """K·K·C_in·C_out weights + C_out biases (no biases when the layer has none)."""
        k = self.kernel_size[0] * self.kernel_size[1]
        return k * self.input_shape[2] * self.filters + (self.filters if self.use_bias else 0)


@dataclass(frozen=True, eq=False)
class HeatMap:
    """A heat map over the 28×28 input: ``heat`` float32 (28, 28) in [0, 1].

    ``coarse`` is the map at the resolution it was computed at ((h, w) of the layer for
    Grad-CAM, 28×28 for saliency); ``layer`` names that layer ("input" for saliency);
    ``class_index`` is the class whose score was explained; ``method`` "grad-cam" or "saliency".
    """

    heat: np.ndarray
    coarse: np.ndarray
    layer: str
    class_index: int
    method: str
