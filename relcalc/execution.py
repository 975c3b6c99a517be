"""Where independent tasks run: this process, a local process pool, or a Dask cluster.

An :class:`Execution` takes tasks (a module-level function and one picklable
argument), runs them wherever it runs things, and hands each result back
through the handle :meth:`~Execution.submit` returned. Callers read results
in the order they submitted them, never in the order they finished, so a sum
over chunks is the same bit for bit however the work was spread.

- :class:`InlineExecution` runs each task in this process when its result is
  asked for (one worker);
- :class:`PoolExecution` runs them in a local process pool (``--workers N``);
- :class:`DaskExecution` (``--scheduler tcp://host:port`` or ``dask-local:N``)
  submits them to Dask's distributed scheduler, imported only when asked for.

:func:`open_execution` picks one from what the user asked; :func:`use` makes
one the current execution for a block, so code that runs simulations deep
inside (a report, the capacity simulation) picks it up without passing it
down: ``with use(open_execution(scheduler, workers)): ...``.

Interrupts: compiled (numba) code never looks at signals, and a
``KeyboardInterrupt`` raised by Python's handler while a compiled call
returns surfaces as ``SystemError: ... returned a result with an exception
set``. :func:`interrupt_guard` installs a SIGINT handler that, while a
compiled call is under way (:func:`call_compiled`), only notes the interrupt
and raises it once the call is back; elsewhere it raises at once.
:func:`interrupts_held` does the same for a block of Python code: starting a
pool worker, whose fork runs callbacks that drop any exception. Pool workers
ignore SIGINT (the parent ends them), so a Ctrl-C to the process group leaves
one message from the parent and no orphaned process.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
import signal
import threading
from collections import deque
from typing import Any, Callable, Iterator

from .errors import InputError

#: More local worker processes than this is refused: beyond the cores it only costs memory; a cluster
#: (``--scheduler``) is the way to more.
MAX_LOCAL_WORKERS = 64
#: Environment variable naming the scheduler when ``--scheduler`` is not given.
SCHEDULER_VARIABLE = "RELCALC_SCHEDULER"
#: Estimated compute a task of a local pool should hold (seconds): far above the pool's ~0.2 ms per task,
#: small enough to keep two workers evenly loaded.
POOL_TASK_SECONDS = 0.02
#: Estimated compute a Dask task should hold: well over 100 times the per-task cost benchmarks/distributed.py
#: measured (4 to 7 ms through a LocalCluster on a busy 2-core machine), so scheduling stays under 1% of the
#: work (the estimate, from COST_PER_SECOND in raft/engine.py, ran about 0.6 of the measured compute).
DASK_TASK_SECONDS = 1.5
#: How long to wait for a Dask scheduler to answer before giving up.
CONNECT_SECONDS = 3.0

_in_compiled = 0
#: A Ctrl-C came (through one of the handlers below) and has not yet left an :func:`interrupt_guard` block as
#: a KeyboardInterrupt: one raised where Python drops exceptions (a weakref callback such as importlib's module
#: lock cleanup, an after-fork callback) is raised again at the next compiled call or the guard's end.
_interrupt_requested = False


def on_ctrl_c(signum, frame) -> None:  # noqa: ARG001 - the signal module's signature
    """The CLI's SIGINT handler outside guarded blocks: a KeyboardInterrupt, as Python's own, but noted."""
    global _interrupt_requested
    _interrupt_requested = True
    raise KeyboardInterrupt


def interrupt_requested() -> bool:
    """Whether a Ctrl-C is noted and not yet delivered (see :func:`on_ctrl_c`)."""
    return _interrupt_requested


def _on_sigint(signum, frame) -> None:
    global _interrupt_requested
    _interrupt_requested = True
    if _in_compiled:
        return
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupt_guard() -> Iterator[None]:
    """Within the block, a Ctrl-C during a compiled call is raised once the call returns (main thread only);
    one that was raised and dropped on the way is raised when the block ends."""
    global _interrupt_requested
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
        if _interrupt_requested:
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        _interrupt_requested = False  # delivered
        raise
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Within the block a Ctrl-C is only noted, and raised once the block is done (main thread only).

    For a fork: Python runs its after-fork callbacks (logging's lock release...)
    in both processes, and drops an exception raised in one with a line on
    stderr. The child inherits the hold until it ignores SIGINT.
    """
    global _in_compiled
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with interrupt_guard():
        _in_compiled += 1
        try:
            yield
        finally:
            _in_compiled -= 1


def call_compiled(function: Callable, *args):
    """``function(*args)`` for a compiled function: an interrupt meanwhile is raised after it returns."""
    global _in_compiled
    _in_compiled += 1
    try:
        result = function(*args)
    finally:
        _in_compiled -= 1
    if _interrupt_requested and not _in_compiled:
        raise KeyboardInterrupt
    return result


class Execution:
    """Runs tasks somewhere; results come back through the handles, read in any order the caller likes."""

    #: How many tasks run at once.
    workers: int = 1
    #: Estimated compute per task (seconds) that keeps scheduling overhead small (see :func:`tasks_of`).
    task_seconds: float = 0.0

    def submit(self, function: Callable[[Any], Any], argument: Any) -> Any:
        raise NotImplementedError

    def result(self, handle: Any) -> Any:
        """The task's result, waiting for it; a Ctrl-C while waiting raises ``KeyboardInterrupt`` at once."""
        raise NotImplementedError

    def cancel(self, handles: list) -> None:
        """Drop tasks whose results are no longer wanted (those already running may finish unseen)."""

    def prepare(self, function: Callable[[], Any]) -> None:
        """Run ``function`` once on every worker that will run tasks (e.g. load a compiled kernel), if it
        has not run there yet; a process that forks its workers after running it needs nothing."""

    def finished(self, handle: Any) -> None:
        """The caller has read ``handle``'s result and will not ask again (its memory may go)."""

    def rerun_total(self) -> int:
        """Tasks run again so far because a worker was lost (0 where nothing reruns)."""
        return 0

    def close(self, abort: bool = False) -> None:
        """Release the workers; ``abort`` ends them at once (an interrupt, an error) rather than waiting."""

    @property
    def description(self) -> str:
        return f"{self.workers} worker(s)"

    def map(self, function: Callable[[Any], Any], arguments: list) -> list:
        """``[function(a) for a in arguments]`` run by this execution, results in the order given."""
        handles = [self.submit(function, a) for a in arguments]
        try:
            return [self.result(h) for h in handles]
        except BaseException:
            self.cancel(handles)
            raise

    def __enter__(self) -> "Execution":
        return self

    def __exit__(self, kind, value, traceback) -> bool:
        self.close(abort=kind is not None)
        return False


class InlineExecution(Execution):
    """One worker: each task runs in this process when its result is asked for (a cancelled one never runs)."""

    workers = 1
    task_seconds = 0.0

    def submit(self, function, argument):
        return [function, argument]

    def result(self, handle):
        function, argument = handle
        return function(argument)

    @property
    def description(self) -> str:
        return "this process"


def _pool_worker(connection) -> None:
    """A pool worker: run each (function, argument) received and send back ("ok", result) or ("error", exc)."""
    global _in_compiled, _interrupt_requested
    # the parent owns Ctrl-C and ends its workers, so a SIGINT to the process group must not print a
    # traceback from each of them
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _in_compiled, _interrupt_requested = 0, False  # the parent's hold on interrupts, copied by the fork
    with contextlib.suppress(OSError, AttributeError):  # and a worker whose parent was killed goes with it
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    while True:
        try:
            function, argument = connection.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("ok", function(argument))
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
            reply = ("error", exc)
        connection.send(reply)


class _Task:
    __slots__ = ("function", "argument", "worker", "reply", "cancelled")

    def __init__(self, function, argument):
        self.function, self.argument = function, argument
        self.worker = None
        self.reply = None
        self.cancelled = False


class PoolExecution(Execution):
    """A local pool of ``workers`` processes, started at the first task.

    Deliberately plain: one pipe per worker and no helper threads, so ending
    the pool is killing its processes, and nothing is left to wait for at
    exit (``concurrent.futures`` pools could hang there after an interrupt).
    A worker that dies is replaced and its task run again (counted in
    :meth:`retried`); tasks are pure, so the result is the same.
    """

    task_seconds = POOL_TASK_SECONDS

    def __init__(self, workers: int):
        self.workers = workers
        self._idle: list = []
        self._busy: dict = {}  # connection -> (process, task)
        self._queue: deque = deque()
        self._processes: list = []
        self._reruns = 0

    def _start_worker(self):
        import multiprocessing

        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        parent, child = context.Pipe()
        process = context.Process(target=_pool_worker, args=(child,), daemon=True)
        with interrupts_held():  # a Ctrl-C during the fork is raised once the worker is known, so it is ended
            process.start()
            child.close()
            self._processes.append(process)
        return parent, process

    def _dispatch(self) -> None:
        while self._queue:
            task = self._queue[0]
            if task.cancelled:
                self._queue.popleft()
                continue
            if self._idle:
                connection, process = self._idle.pop()
            elif len(self._busy) < self.workers:
                connection, process = self._start_worker()
            else:
                return
            self._queue.popleft()
            connection.send((task.function, task.argument))
            task.worker = process
            self._busy[connection] = (process, task)

    def submit(self, function, argument):
        task = _Task(function, argument)
        self._queue.append(task)
        self._dispatch()
        return task

    def _collect(self) -> None:
        from multiprocessing.connection import wait

        for connection in wait(list(self._busy), timeout=1.0):
            process, task = self._busy.pop(connection)
            try:
                task.reply = connection.recv()
            except (EOFError, OSError):  # the worker died: replace it, run its task again
                connection.close()
                process.join(0.1)
                self._reruns += 1
                task.worker = None
                self._queue.appendleft(task)
                continue
            self._idle.append((connection, process))
        self._dispatch()

    def result(self, handle):
        while handle.reply is None:
            if handle.worker is None and handle not in self._queue:
                self._queue.append(handle)
            self._dispatch()
            self._collect()
        kind, value = handle.reply
        if kind == "error":
            raise value
        return value

    def cancel(self, handles):
        for handle in handles:
            handle.cancelled = True

    def rerun_total(self):
        return self._reruns

    def close(self, abort=False):
        for connection in [c for c, _ in self._idle] + list(self._busy):
            with contextlib.suppress(OSError):
                connection.close()
        for process in self._processes:
            if abort or process.is_alive():
                with contextlib.suppress(Exception):
                    process.kill()  # an idle worker holds nothing; a busy one's task is not wanted
        for process in self._processes:
            process.join(1.0)
        self._idle, self._busy, self._processes = [], {}, []
        self._queue.clear()

    @property
    def description(self) -> str:
        return f"a pool of {self.workers} local processes"


def _probe(address: str, seconds: float) -> None:
    """Connect to ``address`` and exchange Dask's handshake, within ``seconds``, before making a Client
    (a Client that fails half-made blocks for its own close timeout when it is collected)."""
    import asyncio
    import socket
    from urllib.parse import urlsplit

    from distributed.comm import connect

    parts = urlsplit(address)
    if parts.scheme in ("tcp", "tls") and parts.hostname and parts.port:
        # a refused connection is known at once; Dask would retry it until the timeout
        socket.create_connection((parts.hostname, parts.port), timeout=seconds).close()

    async def probe():
        comm = await connect(address, timeout=seconds)
        await comm.close()

    asyncio.run(asyncio.wait_for(probe(), seconds))


def _versions() -> tuple[str, str, str]:
    """What must match between this process and a worker for bit-identical chunks."""
    import numba
    import numpy

    from . import __version__

    return (__version__, numpy.__version__, numba.__version__)


def _reruns_on_scheduler(dask_scheduler, keys: list) -> int:
    """Runs beyond the first of these tasks, from the scheduler's log (a lost worker's tasks, running or
    finished but not yet fetched, run again), or at least the tasks that were running on a lost worker."""
    wanted = set(keys)
    runs: dict = {}
    for entry in getattr(dask_scheduler, "transition_log", ()):
        if entry[0] in wanted and entry[2] == "processing":
            runs[entry[0]] = runs.get(entry[0], 0) + 1
    from_log = sum(count - 1 for count in runs.values())
    suspicious = sum(getattr(dask_scheduler.tasks.get(key), "suspicious", 0) or 0 for key in keys)
    return max(from_log, suspicious)


class DaskExecution(Execution):
    """Tasks on a Dask cluster: a scheduler's address, or ``dask-local:N`` for a LocalCluster of N workers.

    Each task is a Dask future; results are read in submission order. A
    worker that dies costs only its tasks, which the scheduler runs again
    elsewhere (they are pure functions of their seeds, so the result is the
    same); :meth:`rerun_total` counts them from the scheduler's log. Workers
    must run the same relcalc, numpy and numba (checked when connecting).
    """

    #: Estimated compute per task: 100 times Dask's per-task cost measured by benchmarks/distributed.py,
    #: so scheduling stays under 1% of the work.
    task_seconds = DASK_TASK_SECONDS

    def __init__(self, address: str, *, name: str = "--scheduler", connect_seconds: float = CONNECT_SECONDS):
        try:
            import distributed
        except ImportError:
            raise InputError(f"{name} {address}: Dask is not installed; install it with "
                             "pip install 'relcalc[distributed]'") from None
        import logging

        self._cluster = None
        self._prepared: set = set()
        self._finished: list = []
        self._reruns = 0
        self._serial = 0
        import uuid

        self._run_id = uuid.uuid4().hex[:8]
        if address.startswith("dask-local:"):
            text = address.split(":", 1)[1]
            if not text.isdigit() or not 1 <= int(text) <= MAX_LOCAL_WORKERS:
                raise InputError(f"{name}: dask-local:N takes a worker count from 1 to {MAX_LOCAL_WORKERS}, "
                                 f"got {address[:80]!r}")
            # the workers start with SIGINT ignored (kept across exec, and then left alone by Python and
            # asyncio), so a Ctrl-C to the process group is ours alone to handle: no traceback from each
            ignore = threading.current_thread() is threading.main_thread()
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if ignore else None
            try:
                self._cluster = distributed.LocalCluster(
                    n_workers=int(text), threads_per_worker=1, processes=True, dashboard_address=None,
                    silence_logs=logging.CRITICAL)
            finally:
                if ignore:
                    signal.signal(signal.SIGINT, previous)
            address = self._cluster.scheduler_address
        try:
            if self._cluster is None:
                _probe(address, connect_seconds)
            self.client = distributed.Client(address, timeout=connect_seconds, set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - whatever answered (or did not), it is no scheduler for us
            self._close_cluster()
            reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
            raise InputError(f"{name} {address[:80]}: no Dask scheduler answered within {connect_seconds:g} s "
                             f"({reason}); start one with `dask scheduler` and workers with "
                             "`dask worker ADDRESS`") from None
        self._check_versions(name)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def _check_versions(self, name: str) -> None:
        ours = _versions()
        try:
            theirs = self.client.run(_versions)
        except Exception as exc:  # noqa: BLE001 - anything a worker raises: it cannot run our tasks
            self.close(abort=True)
            raise InputError(f"{name}: the Dask workers cannot run relcalc's tasks ({type(exc).__name__}: "
                             f"{str(exc)[:120]}); install relcalc {ours[0]} on every worker") from None
        for worker, versions in theirs.items():
            if tuple(versions) != ours:
                self.close(abort=True)
                what = ", ".join(f"{label} {v}" for label, v in zip(("relcalc", "numpy", "numba"), versions))
                raise InputError(
                    f"{name}: worker {worker} runs {what}, but this machine relcalc {ours[0]}, numpy {ours[1]}, "
                    f"numba {ours[2]}; install the same versions on every worker (the same seed gives the same "
                    "numbers only then)")

    def prepare(self, function):
        if function not in self._prepared:
            with contextlib.suppress(Exception):  # a worker that cannot prepare pays at its first task
                self.client.run(function)
            self._prepared.add(function)

    def submit(self, function, argument):
        self._serial += 1
        return self.client.submit(function, argument, pure=False, key=f"relcalc-{self._run_id}-{self._serial}")

    def result(self, handle):
        return handle.result()

    def cancel(self, handles):
        if handles:
            with contextlib.suppress(Exception):
                self.client.cancel(handles)

    def finished(self, handle):
        self._finished.append(handle)
        if len(self._finished) >= 32:
            self._count_reruns()

    def _count_reruns(self) -> None:
        # the scheduler forgets a task once its future is released, so ask before letting them go
        keys = [f.key for f in self._finished]
        self._finished = []
        with contextlib.suppress(Exception):  # a scheduler without relcalc cannot answer: nothing counted
            self._reruns += int(self.client.run_on_scheduler(_reruns_on_scheduler, keys=keys))

    def rerun_total(self):
        self._count_reruns()
        return self._reruns

    def _close_cluster(self, seconds: float = 5) -> None:
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close(timeout=seconds)
            self._cluster = None

    def close(self, abort=False):
        import logging

        if abort:
            logging.getLogger("distributed").setLevel(logging.CRITICAL)  # what follows is expected, not news
            if self._cluster is not None:
                import multiprocessing

                # a LocalCluster's workers are this process's children: ending them is the quick way out
                for child in multiprocessing.active_children():
                    with contextlib.suppress(Exception):
                        child.kill()
        client = getattr(self, "client", None)
        if client is not None:
            with contextlib.suppress(Exception):
                client.close(timeout=1 if abort else 10)
            self.client = None
        self._close_cluster(1 if abort else 5)

    @property
    def description(self) -> str:
        return f"Dask, {self.workers} worker(s)"


def scheduler_address(option: str | None) -> str:
    """The scheduler asked for: ``option``, else ``$RELCALC_SCHEDULER``, else ``local``."""
    value = option if option is not None else os.environ.get(SCHEDULER_VARIABLE) or "local"
    return value.strip()


def check_workers(workers: int, name: str = "--workers") -> int:
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise InputError(f"{name} must be a whole number of at least 1, got {workers!r}")
    if workers > MAX_LOCAL_WORKERS:
        raise InputError(f"{name}: at most {MAX_LOCAL_WORKERS} local workers, got {workers:,}; for more, "
                         "run a Dask cluster and give its address with --scheduler")
    return workers


def open_execution(scheduler: str | None = None, workers: int = 1, name: str = "--scheduler") -> Execution:
    """An execution for ``--scheduler`` (``local``, ``dask-local:N`` or ``tcp://host:port``) and ``--workers``.

    ``local`` (the default) is this process for one worker, else a local
    process pool; the others connect to (or start) a Dask cluster, which
    needs the ``distributed`` extra. Bad addresses are :class:`InputError`.
    """
    address = scheduler_address(scheduler)
    if scheduler is None and os.environ.get(SCHEDULER_VARIABLE):
        name = SCHEDULER_VARIABLE  # the error names where the address came from
    check_workers(workers)
    if address == "local":
        return InlineExecution() if workers == 1 else PoolExecution(workers)
    if address.startswith("dask-local:") or "://" in address:
        return DaskExecution(address, name=name)
    raise InputError(f"{name}: expected local, dask-local:N or a scheduler address such as tcp://host:8786, "
                     f"got {address[:80]!r}")


_current: contextvars.ContextVar[Execution | None] = contextvars.ContextVar("relcalc_execution", default=None)


def current() -> Execution | None:
    """The execution made current by :func:`use`, or None."""
    return _current.get()


@contextlib.contextmanager
def use(execution: Execution) -> Iterator[Execution]:
    """Make ``execution`` the current one for the block, and close it after (at once on an error)."""
    token = _current.set(execution)
    try:
        with execution:
            yield execution
    finally:
        _current.reset(token)


def tasks_of(count: int, chunk_seconds: float, execution: Execution) -> int:
    """Chunks per task for a run of ``count`` chunks: enough estimated compute per task to keep
    ``execution``'s per-task cost small, but at least two tasks per worker while the run allows."""
    if execution.task_seconds <= 0 or chunk_seconds <= 0:
        return 1
    enough = math.ceil(execution.task_seconds / chunk_seconds)
    spread = math.ceil(count / (2 * execution.workers))
    return max(1, min(enough, spread))


__all__ = ["DaskExecution", "Execution", "InlineExecution", "MAX_LOCAL_WORKERS", "PoolExecution", "call_compiled", "check_workers",
           "current", "interrupt_guard", "open_execution", "scheduler_address", "tasks_of", "use"]
