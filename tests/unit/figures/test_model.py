"""cnn_core.figures.model: the shape-flow diagram labels every shape from the image to the answer."""

from __future__ import annotations

from cnn_core.figures import model as model_figures
from cnn_core.models import ConvBlock, ModelConfig, summarize

# Two convolutions per block with batch normalisation and dropout: layers the diagram folds.
TWO_CONV_BN = ModelConfig(
    blocks=(ConvBlock(filters=32, convs=2, batch_norm=True), ConvBlock(filters=64, convs=2, batch_norm=True)),
    dense_units=128,
    dropout=0.3,
)


class TestShapeFlowDiagram:
    def texts(self, config: ModelConfig) -> list[str]:
        fig = model_figures.shape_flow_figure(summarize(config))
        return [t.get_text() for t in fig.axes[0].texts]

    def test_labels_every_shape_from_image_to_prediction(self):
        texts = self.texts(ModelConfig())
        for label in ("28×28×1", "28×28×24", "14×14×24", "14×14×36", "7×7×36", "1,764", "128", "10"):
            assert label in texts
        assert texts.count("max pool") == 2 and "softmax" in texts

    def test_folds_batch_norm_and_dropout_into_their_layer(self):
        texts = self.texts(TWO_CONV_BN)
        assert texts.count("conv+BN") == 4 and "dense+drop" in texts
        assert not any("Activation" in t or "Dropout" in t for t in texts)
