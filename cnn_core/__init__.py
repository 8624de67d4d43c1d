"""CNN Explorer's core: everything that is not UI.

Importing this package (or ``cnn_core.shapes``) never imports TensorFlow; the modules that
need it import it inside the functions that use it.
"""

__all__ = ["accelerators", "datasets", "models", "shapes"]
