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
    # names come from users: "$5" or "$\\frac{a}$" in a component's name is text, not TeX to parse
    "text.parse_math": False,
    "axes.formatter.use_mathtext": False,
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
        # a second line of subtitle takes another 4% of the height
        fig.get_layout_engine().set(rect=(0, 0, 1, 0.9 - 0.04 * subtitle.count("\n")))
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


def joint_legend(ax, twin, loc: str = "above") -> None:
    """One legend for the lines of both axes, in a band above the plot (``loc`` is kept for old callers)."""
    handles, labels = ax.get_legend_handles_labels()
    more_handles, more_labels = twin.get_legend_handles_labels()
    legend_above(ax, handles + more_handles, labels + more_labels)


def legend_above(ax, handles=None, labels=None, ncols: int | None = None):
    """The legend in a band above the plot, never on the data (constrained layout makes room for it)."""
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    ncols = ncols or min(len(handles), 3)
    return ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.01, 1.0, 0.1), ncols=ncols,
                     borderaxespad=0.0, frameon=False, mode="expand" if len(handles) > 1 else None)


def short_duration(hours: float) -> str:
    """A duration in at most two units, for axes and legends: 45s, 1m 30s, 21h 40m, 3d 4h, 2.5y."""
    if hours is None or not math.isfinite(hours):
        return "inf" if hours is not None and hours > 0 else "-"
    seconds = hours * 3600.0
    if seconds < 1:
        return f"{seconds * 1000:.3g}ms"
    steps = (("y", 8760 * 3600.0), ("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0))
    if seconds >= 100 * 8760 * 3600.0:
        return f"{seconds / (8760 * 3600.0):,.3g}y"
    for i, (unit, size) in enumerate(steps):
        if seconds >= size:
            whole = int(seconds // size)
            rest = seconds - whole * size
            if i + 1 < len(steps) and unit != "y":
                small, small_size = steps[i + 1]
                part = int(round(rest / small_size))
                if part * small_size >= size:
                    whole, part = whole + 1, 0
                return f"{whole}{unit} {part}{small}" if part else f"{whole}{unit}"
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.3g}s"


#: Round durations (hours) for the ticks of a log-scaled duration axis: 1s, 10s, 1m, 5m, 15m, 1h, 6h, 1d, 1w...
_ROUND_HOURS = (1 / 3600, 10 / 3600, 1 / 60, 5 / 60, 15 / 60, 1.0, 6.0, 24.0, 168.0, 720.0, 8760.0, 87600.0)


def duration_axis(axis, unit_hours: float, log: bool = False) -> None:
    """Label an axis whose values are durations in units of ``unit_hours`` (1/60 for minutes) for people.

    With ``log`` the ticks sit on round durations (1m, 15m, 1h, 6h, 1d) instead of powers of ten.
    """
    from matplotlib.ticker import FixedLocator, NullLocator

    if log:
        axis.set_major_locator(FixedLocator([h / unit_hours for h in _ROUND_HOURS]))
        axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda v, _: short_duration(v * unit_hours) if v > 0 else "0"))
    axis.set_minor_formatter(FuncFormatter(lambda v, _: ""))


def log_axis(axis) -> None:
    """Plain tick labels on a log axis (1e-05, 2e-06): the default ones are TeX, which users' text must not be."""
    from matplotlib.ticker import LogFormatter

    axis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    axis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(1.5, 0.5)))


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


def to_bytes(fig: Figure, fmt: str = "svg") -> bytes:
    """``fig`` as the bytes of a PNG, SVG or PDF file (deterministic for SVG: no date, fixed hash salt)."""
    import io

    metadata = {"Date": None} if fmt == "svg" else ({"CreationDate": None} if fmt == "pdf" else {})
    buffer = io.BytesIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buffer, dpi=DPI, format=fmt, metadata=metadata)
    return buffer.getvalue()


def sibling(path: str, suffix: str) -> str:
    """``chart.png`` -> ``chart-suffix.png``: where a command's second figure goes."""
    root, ext = os.path.splitext(path)
    return f"{root}-{suffix}{ext}"


__all__ = ["PALETTE", "figure", "joint_legend", "nines_axis", "percent_label", "save", "second_axis", "sibling",
           "styled", "to_bytes", "legend_above", "short_duration",
           "duration_axis", "log_axis"]
