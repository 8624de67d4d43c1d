"""Figures, one module per page; each figure is a pure function a test can call."""
