"""Slide-ready figures for every relcalc analysis (matplotlib, Agg).

Every function returns a :class:`matplotlib.figure.Figure`; :func:`save`
writes it as PNG, SVG or PDF by the file's extension.
"""

from .style import PALETTE, save, sibling

__all__ = ["PALETTE", "save", "sibling"]
