"""Acyclic directed networks without repeated components: the probability swept over frontier states in arrays.

Notes
-----
The same search as :func:`relcalc.rbd.dag.compile_dag` (vertices in
topological order; a state is the set of undecided vertices with a reached
predecessor, *enabled*), but instead of building a decision diagram the
probability of every state is carried in a dense array with one axis of
length 2 per frontier vertex. Deciding vertex ``x`` (axis ``s``) with
availability ``a`` and unavailability ``u``:

    P'[rest] = P[s=0, rest] + u P[s=1, rest] + a (P[s=1] with x's successors enabled)[rest]

and the axis ``s`` is dropped. The state with nothing enabled is dead: its
probability is added to U; where the target is decided up, ``a P[s=1]`` is
added to A. Both are sums of non-negative products, so U is computed
directly, never as 1 - A.

Birnbaum importance (and with it the failure frequency) is the adjoint of
this linear pass: ``W`` (the probability that the target is never reached
from a state) is carried backwards, and for vertex ``x``
``dA/da = sum P[s=1] (W(x down) - W(x up))``. The forward arrays are kept
for the backward pass up to a memory budget; above it only some are kept
(checkpoints, one per stretch of at least 64 MB of arrays passed) and each
stretch between them is worked out again.

Each step is a few whole-array operations, so the cost is the sum of
``2^width`` over the steps rather than one Python object per state: the
10x10 grid of components is a fraction of its diagram's build, and the 20x20
grid (up to 2^21 states on a frontier, beyond a diagram) takes about a
second.

Reference: the transfer-matrix method for two-terminal reliability of
directed grids, e.g. Colbourn, *The Combinatorics of Network Reliability*
(Oxford, 1987), ch. 7.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Widest frontier swept (axes); 2^23 float64 states are 64 MB per array
MAX_WIDTH = 23
#: Bytes of forward states kept for the backward pass before checkpoints are used instead (the 20x20 grid
#: would keep 292 MB: fresh memory's page faults made that slower, 5 s against 1.3-1.9 s, than working
#: each stretch out twice)
KEEP_BYTES = 32 * 2**20
#: Bytes of forward arrays between two checkpoints (the stretch worked out again backwards), at least; for
#: larger sweeps the square root of total times largest, so checkpoints and one stretch take alike
STRETCH_BYTES = 64 * 2**20
#: Bytes of forward arrays over a whole sweep (its work) beyond which a network is not swept (the 20x20 grid:
#: 584 MB); the memory held is then at most about twice the root of this times the largest array
MAX_TOTAL_BYTES = 4 * 2**30


@dataclass(frozen=True)
class Step:
    """Decide ``vertex`` (local variable ``var`` or None for a perfect vertex) at axis ``axis``."""

    var: object
    axis: int
    entering: int  #: new axes appended before the step (successors entering the frontier)
    successors: tuple  #: axes (after appending) that the vertex enables when it works
    is_target: bool


@dataclass(frozen=True)
class Program:
    steps: tuple
    width: int  #: most axes at once
    total_bytes: int = 0  #: of the forward arrays over all steps
    largest_bytes: int = 0


def sweep_program(sequence, variables, successors, source, target):
    """The steps of the sweep, or None where the frontier is wider than :data:`MAX_WIDTH`."""
    start = sequence.index(source)
    axes = [source]
    steps = []
    width = 1
    total = largest = 0
    for x in sequence[start:]:
        onward = [] if x == target else list(dict.fromkeys(successors.get(x, ())))
        entering = [y for y in onward if y not in axes]
        axes.extend(entering)
        width = max(width, len(axes))
        if width > MAX_WIDTH:
            return None
        if x not in axes:  # never enabled (no reached predecessor can lead here): nothing to decide
            axes = axes[: len(axes) - len(entering)]
            continue
        s = axes.index(x)
        steps.append(Step(variables.get(x), s, len(entering), tuple(axes.index(y) for y in onward), x == target))
        axes.pop(s)
        size = 8 << len(axes)
        total += size
        largest = max(largest, size)
        if total > MAX_TOTAL_BYTES:
            return None
        if x == target:
            break
    return Program(tuple(steps), width, total, largest)


def _step_forward(p, step: Step, a: float, u: float):
    """(array after the step, mass reaching the target, mass left dead)."""
    import numpy as np

    s, k = step.axis, step.entering
    off, on = _take(p, s, 0), _take(p, s, 1)
    reached = 0.0
    if step.is_target:
        reached = a * float(on.sum())
        out = off + u * on
    else:
        if k == 0:
            out = moved = None
        else:  # the entering successors: 0 where the vertex failed, 1 where it worked (written in place)
            out = (np.empty if k == 1 else np.zeros)(off.shape + (2,) * k)
            moved = out[(...,) + (1,) * k]
        stay = np.multiply(on, u, out=None if out is None else out[(...,) + (0,) * k])
        stay += off
        moved = np.multiply(on, a, out=moved)
        old = p.ndim - 1  # axes left after this vertex's own
        for t in step.successors:
            if t < old + 1 and t != s:
                _enable(moved, t - 1 if t > s else t)
        if k == 0:
            stay += moved
            out = stay
    out = np.asarray(out)
    if out.ndim == 0:  # nothing left on the frontier
        return np.zeros(()), reached, float(out)
    flat = out.reshape(-1)  # a view: the state with nothing enabled is first
    dead = float(flat[0])
    flat[0] = 0.0
    return out, reached, dead


def _take(p, axis: int, value: int):
    index = [slice(None)] * p.ndim
    index[axis] = value
    return p[tuple(index) + (Ellipsis,)]  # a view even where no axis is left


def _enable(t, axis: int) -> None:
    """Move all mass on ``axis`` to value 1 (the vertex there is now enabled), in place."""
    index0 = [slice(None)] * t.ndim
    index1 = list(index0)
    index0[axis], index1[axis] = 0, 1
    t[tuple(index1)] += t[tuple(index0)]
    t[tuple(index0)] = 0.0


def _step_backward(w_next, step: Step, a: float, u: float, on):
    """(W before the step, dA/da of the step's vertex) from W after it (W: the target never reached).

    ``on`` is the forward array before the step where the vertex is enabled.
    The dead state's W stays 1 from the last step back (nothing enabled stays so).
    """
    import numpy as np

    s = step.axis
    k = step.entering
    if step.is_target:
        w_down = w_next
        w_up = 0.0
    else:
        w_down = w_next[(...,) + (0,) * k] if k else w_next
        w_up = w_next[(...,) + (1,) * k] if k else w_next
        old = w_down.ndim
        index = [slice(None)] * old
        for t in step.successors:
            if t < old + 1 and t != s:
                index[t - 1 if t > s else t] = slice(1, 2)  # the enabled value, whatever it was
        w_up = w_up[tuple(index)]
    # contiguous copies: numpy's loops over many strided axes of length 2 are slow
    if w_down.ndim:
        w_down = np.ascontiguousarray(w_down)
    diff = w_down - w_up  # >= 0: a working vertex never makes the target harder to reach
    gain = float(np.multiply(on, diff).sum())  # not BLAS: its threads crowd a shared machine
    w = np.empty(diff.shape[:s] + (2,) + diff.shape[s:])
    np.copyto(_take(w, s, 0), w_down)
    w_on = _take(w, s, 1)
    np.multiply(diff, -a, out=w_on)
    w_on += w_down  # = u W(down) + a W(up)
    return w, gain


def sweep(program: Program, a: dict, u: dict, want_grad: bool):
    """(A, U, {local variable: dA/da}) over the program's steps, ``a``/``u`` by local variable."""
    import numpy as np

    steps = program.steps

    def rates(step):
        return (1.0, 0.0) if step.var is None else (a[step.var], u[step.var])

    p = np.array([0.0, 1.0])  # the source alone is enabled
    avail = unavail = 0.0
    enabled: dict = {}  # step -> forward states where its vertex is enabled (copies), while they fit
    checkpoints = {0: p}  # step -> forward array before it, one per stretch
    stretch_bytes = max(STRETCH_BYTES, int(math.sqrt(program.total_bytes * program.largest_bytes)))
    held = since = 0
    for i, step in enumerate(steps):
        if want_grad and enabled is not None:
            on = np.ascontiguousarray(_take(p, step.axis, 1))
            held += on.nbytes
            enabled[i] = on
            if held > KEEP_BYTES:  # from here on the stretches between checkpoints are redone backwards
                enabled = None
        p, reached, dead = _step_forward(p, step, *rates(step))
        avail += reached
        unavail += dead
        since += p.nbytes
        if want_grad and since > stretch_bytes:
            checkpoints[i + 1] = p
            since = 0
    unavail += float(p.sum())  # still enabled somewhere once the target is decided: not reached
    grad: dict = {}
    if not want_grad:
        return avail, unavail, grad
    w = np.ones(p.shape)
    bounds = sorted(checkpoints) + [len(steps)]
    for c in range(len(bounds) - 2, -1, -1):
        first, last = bounds[c], bounds[c + 1]
        if enabled is None:  # this stretch again from its checkpoint
            stretch = {}
            q = checkpoints[first]
            for i in range(first, last):
                stretch[i] = _take(q, steps[i].axis, 1)
                q, _, _ = _step_forward(q, steps[i], *rates(steps[i]))
        else:
            stretch = enabled
        for i in range(last - 1, first - 1, -1):
            step = steps[i]
            w, gain = _step_backward(w, step, *rates(step), stretch[i])
            if step.var is not None:
                grad[step.var] = grad.get(step.var, 0.0) + gain
    return avail, unavail, grad
