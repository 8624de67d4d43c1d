"""Test-wide settings: never touch the network, keep TensorFlow's logs quiet."""

import os

# Tests use the bundled sample only: the Keras download is never attempted.
os.environ["CNN_EXPLORER_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
