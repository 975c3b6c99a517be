"""Block-diagram charts: the diagram itself, and what to fix first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..rbd.model import KofN, Network, Series, Standby, System, Use
from .style import BLUE, ORANGE, SKY, VERMILION, figure, second_axis, styled

LEAF_W, LEAF_H, MARGIN = 1.8, 1.0, 0.45


@dataclass
class _Tile:
    width: float
    height: float
    kind: str  # leaf, series, parallel
    label: str = ""
    shared: bool = False
    children: list["_Tile"] = field(default_factory=list)
    note: str = ""  # "2/3" on k-of-n joins


def _uses(block, counts: Counter) -> None:
    if isinstance(block, Use):
        counts[block.name] += 1
    elif isinstance(block, Standby):
        counts[block.name] += 1
    elif isinstance(block, Network):
        for name in block.names:
            counts[name] += 1
    else:
        for child in block.children:
            _uses(child, counts)


def _tiles(block, system: System, shared: set[str]) -> list[_Tile]:
    """A block as a list of tiles: a name stands for all its instances."""
    if isinstance(block, Use):
        comp = system.components[block.name]
        return [_Tile(LEAF_W, LEAF_H, "leaf", label, block.name in shared) for label in comp.instance_names()]
    if isinstance(block, Standby):
        return [_Tile(LEAF_W * 1.4, LEAF_H, "leaf", f"{block.name}: {block.active} active\n{block.mode} standby",
                      block.name in shared)]
    if isinstance(block, Network):  # one tile: the graph itself is not redrawn here
        label = f"network {block.source} -> {block.target}\n{len(block.edges)} edges"
        return [_Tile(LEAF_W * 1.6, LEAF_H, "leaf", label, any(n in shared for n in block.names))]
    members = [t for child in block.children for t in _tiles(child, system, shared)]
    if isinstance(block, Series):
        if len(members) == 1:
            return members
        return [_Tile(sum(t.width for t in members), max(t.height for t in members), "series", children=members)]
    note = f"{block.k}/{len(members)}" if isinstance(block, KofN) else ""
    if len(members) == 1 and not note:
        return members
    return [_Tile(max(t.width for t in members) + 2 * MARGIN, sum(t.height for t in members), "parallel",
                  children=members, note=note)]


def _draw(ax, tile: _Tile, x: float, y: float, font: float) -> None:
    """Draw ``tile`` in [x, x + width] x [y, y + height]; ports at mid-height."""
    mid = y + tile.height / 2
    if tile.kind == "leaf":
        pad_x, pad_y = 0.15, 0.18
        ax.plot([x, x + pad_x], [mid, mid], color="#555555", lw=1.2)
        ax.plot([x + tile.width - pad_x, x + tile.width], [mid, mid], color="#555555", lw=1.2)
        from matplotlib.patches import FancyBboxPatch

        box = FancyBboxPatch((x + pad_x, y + pad_y), tile.width - 2 * pad_x, tile.height - 2 * pad_y,
                             boxstyle="round,pad=0.02", facecolor=ORANGE if tile.shared else SKY,
                             edgecolor=VERMILION if tile.shared else BLUE, lw=2 if tile.shared else 1.2,
                             linestyle="--" if tile.shared else "-")
        ax.add_patch(box)
        ax.text(x + tile.width / 2, mid, tile.label, ha="center", va="center", fontsize=font)
        return
    if tile.kind == "series":
        cx = x
        for child in tile.children:
            _draw(ax, child, cx, y + (tile.height - child.height) / 2, font)
            cx += child.width
        return
    left, right = x + MARGIN * 0.5, x + tile.width - MARGIN * 0.5
    centres = []
    cy = y + tile.height
    for child in tile.children:
        cy -= child.height
        c_mid = cy + child.height / 2
        centres.append(c_mid)
        _draw(ax, child, x + MARGIN, cy, font)
        ax.plot([left, x + MARGIN], [c_mid, c_mid], color="#555555", lw=1.2)
        ax.plot([x + MARGIN + child.width, right], [c_mid, c_mid], color="#555555", lw=1.2)
    ax.plot([left, left], [min(centres), max(centres)], color="#555555", lw=1.5)
    ax.plot([right, right], [min(centres), max(centres)], color="#555555", lw=1.5)
    ax.plot([x, left], [mid, mid], color="#555555", lw=1.2)
    ax.plot([right, x + tile.width], [mid, mid], color="#555555", lw=1.2)
    if tile.note:
        ax.text(right + 0.05, max(centres) + 0.1, tile.note, ha="left", va="bottom", fontsize=font + 1,
                fontweight="bold", color=VERMILION)


@styled
def diagram(system: System, result=None, name: str = "system"):
    """The reliability block diagram as boxes and lines; shared components dashed."""
    counts: Counter = Counter()
    _uses(system.root, counts)
    shared = {n for n, c in counts.items() if c > 1}
    tiles = _tiles(system.root, system, shared)
    root = tiles[0] if len(tiles) == 1 else _Tile(sum(t.width for t in tiles), max(t.height for t in tiles),
                                                 "series", children=tiles)
    leaves = sum(c.count for c in system.components.values())
    subtitle = f"{len(system.components)} components, {leaves} instances"
    if result is not None:
        from ..units import format_duration, format_percent

        subtitle += (f"; availability {format_percent(result.availability, result.unavailability)}, "
                     f"downtime {format_duration(result.downtime_per_year_hours)} per year")
    if shared:
        subtitle += f"; shared (dashed): {', '.join(sorted(shared))}"
    fig, ax = figure(f"Block diagram: {name}", subtitle)
    font = float(np.clip(11 - 0.04 * leaves, 5, 11))
    _draw(ax, root, 0.0, 0.0, font)
    ax.set_xlim(-0.3, root.width + 0.6)
    ax.set_ylim(-0.2, root.height + 0.3)
    ax.set_aspect("equal", adjustable="box")
    ax.axis("off")
    return fig


@styled
def pareto(result, top: int = 15):
    """Improvement potential per component instance: downtime per year removed if it never failed."""
    items = [i for i in result.importance if i.improvement_potential > 0][:top]
    year = result.calendar.year_hours
    minutes = np.array([i.improvement_potential * year * 60 for i in items])
    fig, ax = figure(
        "What to fix first",
        f"downtime per year removed if each component never failed; system downtime "
        f"{result.downtime_per_year_hours * 60:,.4g} min per year; top {len(items)}",
    )
    ax.bar(range(len(items)), minutes, color=BLUE)
    ax.set_xticks(range(len(items)), [i.name for i in items], rotation=30 if len(items) > 6 else 0, ha="right"
                  if len(items) > 6 else "center")
    ax.set_ylabel("downtime removed (minutes per year)")
    ax.set_xlabel("component instance")
    if items:
        twin = second_axis(ax, "cumulative share of system downtime (%)")
        total = result.unavailability * year * 60
        twin.plot(range(len(items)), np.minimum(np.cumsum(minutes) / total * 100, 100), "o-", color=VERMILION,
                  lw=2, label="cumulative share of downtime")
        twin.set_ylim(0, 105)
        twin.legend(loc="center right")
    return fig
