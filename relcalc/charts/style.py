"""One slide-ready style for every relcalc chart, and saving figures safely.

Figures are 16:9 (10 x 5.625 inches: 2000 x 1125 pixels at 200 dpi as PNG),
with a title naming the question and a subtitle naming the inputs, units on
every axis, and the Okabe-Ito palette, which stays distinguishable with the
common colour-vision deficiencies. Matplotlib runs on the Agg backend, so no
display is needed. SVG output is deterministic for the same input: no date in
the metadata and a fixed hash salt for element ids.
"""

from __future__ import annotations

import math
import os

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from ..errors import InputError  # noqa: E402
from ..files import atomic_path  # noqa: E402

#: Okabe and Ito (2008), colour-blind-safe qualitative palette.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY, YELLOW, BLACK = PALETTE
TARGET = VERMILION
SIZE = (10.0, 5.625)
DPI = 200
FORMATS = (".png", ".svg", ".pdf")

_RC = {
    "font.size": 12,
    "axes.titlesize": 15,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 10,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.hashsalt": "relcalc",
    "svg.fonttype": "none",
    "figure.dpi": 100,
}


def styled(build):
    """Run a figure-building function under relcalc's style, without touching global settings."""
    import functools

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(_RC):
            return build(*args, **kwargs)

    return wrapper


def figure(title: str, subtitle: str = "", *, nrows: int = 1, ncols: int = 1, **kwargs) -> tuple[Figure, object]:
    """A new 16:9 figure with a title and a subtitle; returns (figure, axes)."""
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=SIZE, layout="constrained")
        axes = fig.subplots(nrows, ncols, **kwargs)
    fig.suptitle(title, fontsize=16, fontweight="bold", x=0.01, ha="left")
    if subtitle:
        fig.text(0.01, 0.925, subtitle, fontsize=11, color="#444444", ha="left", va="top",
                 transform=fig.transFigure)
        fig.get_layout_engine().set(rect=(0, 0, 1, 0.9))
    for ax in (axes.flat if hasattr(axes, "flat") else [axes]):
        _style(ax)
    return fig, axes


def _style(ax) -> None:
    for key, value in (("top", False), ("right", False)):
        ax.spines[key].set_visible(value)
    ax.grid(True, alpha=0.3)
    ax.tick_params(labelsize=11)


def second_axis(ax, label: str):
    """A right-hand y axis sharing ``ax``'s x axis, labelled, without a second grid."""
    twin = ax.twinx()
    twin.set_ylabel(label)
    twin.grid(False)
    return twin


def joint_legend(ax, twin, loc: str) -> None:
    """One legend on ``ax`` for the lines of both axes."""
    handles, labels = ax.get_legend_handles_labels()
    more_handles, more_labels = twin.get_legend_handles_labels()
    ax.legend(handles + more_handles, labels + more_labels, loc=loc)


def percent_label(nines: float) -> str:
    """An availability given in nines as a percentage: 3 -> 99.9%, 4.5 -> 99.997%."""
    u = 10.0 ** (-nines)
    a = 1.0 - u
    digits = max(0, int(math.ceil(nines)) - 2 + (1 if nines % 1 else 0))
    text = f"{100 * a:.{digits}f}%"
    return text


def nines_axis(axis) -> None:
    """Label an axis holding nines with percentages (99.9%, 99.99%), ticks on whole or half nines."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10], min_n_ticks=3))
    axis.set_major_formatter(FuncFormatter(lambda v, _: percent_label(v) if v > 0 else "0%"))


def save(fig: Figure, path: str) -> None:
    """Write ``fig`` by the extension of ``path`` (PNG, SVG or PDF), atomically."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise InputError(f"--chart: {path!r} must end in .png, .svg or .pdf")
    metadata = {"Date": None} if ext == ".svg" else ({"CreationDate": None} if ext == ".pdf" else {})
    with atomic_path(path, option="--chart", suffix=ext) as tmp, matplotlib.rc_context(_RC):
        fig.savefig(tmp, dpi=DPI, format=ext[1:], metadata=metadata)


def sibling(path: str, suffix: str) -> str:
    """``chart.png`` -> ``chart-suffix.png``: where a command's second figure goes."""
    root, ext = os.path.splitext(path)
    return f"{root}-{suffix}{ext}"


__all__ = ["PALETTE", "figure", "joint_legend", "nines_axis", "percent_label", "save", "second_axis", "sibling",
           "styled"]
