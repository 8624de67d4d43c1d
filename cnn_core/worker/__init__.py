"""The TensorFlow side of the app: everything that imports TensorFlow or Keras sits here.

Only the worker process (``python -m cnn_core.worker``, started by the server through
:mod:`cnn_core.client`) and the command line (``python -m cnn_core``) import this package; no
module the Streamlit server can reach does (tests/unit/test_house_rules.py). ``trainer`` trains
with ``fit_loop`` or ``custom_loop``, stops a run that ``divergence`` finds broken and writes its
``run_folder``; ``models`` builds a configuration, ``data`` feeds it and downloads,
``accelerators`` picks the device, ``process_setup`` keeps a training process small,
``inference`` loads models, ``insight`` looks inside them, ``serve`` is the worker's loop.
"""
