"""``relcalc capacity`` with general service times: the service law, the method, and the simulated answer."""

from __future__ import annotations

import math
import sys
from typing import Any

from ..errors import InputError
from .output import emit, facts_table


def service_law(defaults: dict[str, float], law, p99, cv, samples_path):
    """The service-time law from the options (the mean is --service-time, or the samples' mean)."""
    from ..capacity.parse import parse_seconds
    from ..capacity.service import service_time
    from ..units import parse_number

    mean = defaults.get("service_time", math.nan)
    mean = None if math.isnan(mean) else mean
    p99_s = None if p99 is None else parse_seconds(p99, "--service-time-p99")
    cv_f = None if cv is None else parse_number(cv, "--service-time-cv")
    if cv_f is not None and cv_f < 0:
        raise InputError(f"--service-time-cv must be >= 0, got {cv}")
    samples = None if samples_path is None else read_samples(samples_path)
    if mean is None and samples is None and law is None and p99_s is None and cv_f is None:
        from ..capacity.service import ServiceTime

        return ServiceTime("exponential", math.nan, 1.0)  # no service time at all: no queue
    return service_time(law, mean, p99_s, cv_f, samples)


def batch_variability(law, p99, cv, samples_path) -> dict[str, float]:
    """Defaults for the rows of a --csv from the service-time options (each row has its own mean)."""
    from ..capacity.parse import parse_seconds
    from ..capacity.service import LAWS
    from ..units import parse_number

    if samples_path is not None:
        raise InputError("--latency-samples describe one service: size it alone, not with --csv")
    if law is not None and law not in LAWS:
        raise InputError(f"--service-time-dist: unknown law {law!r}; use one of {', '.join(LAWS)}")
    if law in ("gamma", "empirical"):
        raise InputError(f"--csv rows take exponential, fixed or lognormal service (columns service_time_cv or "
                         f"service_time_p99), not {law}")
    out: dict[str, float] = {}
    if law == "fixed":
        if p99 is not None or cv is not None:
            raise InputError("a fixed service time is fixed by its mean: drop --service-time-p99/--service-time-cv")
        out["service_scv"] = 0.0
    if cv is not None:
        value = parse_number(cv, "--service-time-cv")
        if not value >= 0:
            raise InputError(f"--service-time-cv must be >= 0, got {cv}")
        out["service_time_cv"] = value
    if p99 is not None:
        out["service_time_p99"] = parse_seconds(p99, "--service-time-p99")
    if law == "lognormal" and p99 is None and cv is None:
        raise InputError("a lognormal service time needs --service-time-p99 or --service-time-cv besides its mean")
    return out


def read_samples(path: str):
    """Measured service times from a CSV: one numeric column (seconds, or milliseconds if named ``*_ms``)."""
    import numpy as np
    import pandas as pd

    from ..batch import read_csv
    from ..loading import csv_source

    frame = read_csv(csv_source(path, "--latency-samples"), "--latency-samples")  # /dev/zero: bounded
    if frame.shape[1] == 0 or len(frame) == 0:
        raise InputError(f"--latency-samples: {path} holds no measurements")
    column = frame.columns[0]
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~(np.isfinite(values) & (values > 0)))
    if bad.size:
        raise InputError(f"--latency-samples: row {bad[0] + 1}: {frame[column].iat[bad[0]]!r} is not a positive "
                         "number of seconds")
    return values / 1000.0 if str(column).strip().lower().endswith("_ms") else values


def resolve_method(method: str, cluster, service) -> str:
    """analytic or simulate: auto simulates where the queue is not M/M/c and a queue target is asked."""
    targets = not (math.isnan(float(cluster.latency_seconds)) and math.isnan(float(cluster.wait_seconds)))
    exact = service.law == "exponential" and float(cluster.arrival_scv) == 1.0
    if method == "simulate":
        if math.isnan(float(cluster.service_time)) or math.isnan(float(cluster.concurrency)):
            raise InputError("--method simulate needs --service-time (or --latency-samples) and --concurrency")
        return "simulate"
    if method == "auto":
        return "analytic" if exact or not targets else "simulate"
    return "analytic"


def run_simulated(cluster, service, seed: int, workers: int, fmt, output, notes: list[str],
                  scheduler: str | None = None) -> int:
    import contextlib

    from ..capacity import figures_at
    from ..capacity.simsizing import size_by_simulation
    from ..execution import open_execution, scheduler_address, use
    from ..results import record

    quiet = not sys.stderr.isatty()
    # local keeps the threads (the kernel releases the GIL); a Dask scheduler gets the replications as tasks,
    # read back in order, so the figures are the same bit for bit
    where = (contextlib.nullcontext() if scheduler_address(scheduler) == "local"
             else use(open_execution(scheduler, workers)))
    with where:
        answer = size_by_simulation(cluster, service, seed=seed, workers=workers,
                                    progress=None if quiet else (lambda m: print(f"relcalc: {m}", file=sys.stderr)))
    analytic = figures_at(cluster, answer.nodes).at(0)
    notes = [*notes, f"method simulate: {service.label}; arrivals "
             + ("Poisson" if float(cluster.arrival_scv) == 1 else f"gamma, CV {math.sqrt(float(cluster.arrival_scv)):.3g}")
             + f"; {answer.replications} replications of {answer.requests_per_replication:,} requests after a warm-up, "
             "95% intervals by Student's t; figures over all requests; each node a FCFS queue of c slots, the "
             "balancer routing each request (ring: sticky sessions hashed onto one point per node); "
             "failures: f nodes adjacent on the ring, or every z-th node for a zone; utilisation caps exact, "
             "latency and wait targets met by the simulated point estimate"]
    data: dict[str, Any] = {
        "rate_per_second": float(cluster.rate), "balancer": cluster.balancer, "method": "simulate",
        "nodes": answer.nodes, "binding_constraint": answer.binding_constraint,
        "service_time_law": service.law, "service_time_mean_seconds": service.mean_seconds,
        "service_time_cv": math.sqrt(service.scv), "seed": answer.seed,
        "utilization": analytic.utilization, "utilization_after_failures": analytic.utilization_after_failures,
        "failure_scenario": answer.failure_scenario,
        "simulated": record(answer.healthy),
        "survivor_simulated": None if answer.survivors is None else record(answer.survivors),
        "allen_cunneen_mean_wait_seconds": analytic.mean_wait_seconds,
        "target_utilization": float(cluster.target_utilization),
        "failover_utilization": float(cluster.failover_utilization),
        "assumptions": notes,
    }

    def write_csv(handle) -> None:
        from ..files import write_csv_records

        flat = {k: v for k, v in data.items() if k not in ("simulated", "survivor_simulated", "assumptions")}
        flat.update({f"simulated_{k}": v for k, v in data["simulated"].items()})
        if data["survivor_simulated"]:
            flat.update({f"survivor_simulated_{k}": v for k, v in data["survivor_simulated"].items()})
        write_csv_records(handle, [flat])

    emit(fmt, output, table=lambda console: _table(console, cluster, answer, analytic, notes),
         json_data=lambda: data, csv_write=write_csv)
    return 0


def _interval(value, scale=1000.0, unit=" ms") -> str:
    if value.value is None:
        return "unstable"
    text = f"{value.value * scale:.4g}"
    if value.low is not None:
        text += f" ({value.low * scale:.4g}-{value.high * scale:.4g})"
    return text + unit


def _table(console, cluster, answer, analytic, notes) -> None:
    from rich.table import Table

    console.print(f"Answer: [bold]{answer.nodes:,} nodes[/bold] (binding: {answer.binding_constraint}; simulated)")
    facts = facts_table()
    facts.add_row("Request rate R", f"{float(cluster.rate):,.6g}/s")
    facts.add_row("Service time", answer.service.label)
    facts.add_row("Utilisation", f"{analytic.utilization * 100:.1f}%"
                  + ("" if analytic.utilization_after_failures is None
                     else f" healthy, {analytic.utilization_after_failures * 100:.1f}% after failures"))
    console.print(facts)
    table = Table(title="Simulated at the answer, all requests (95% intervals)", title_justify="left")
    table.add_column("figure")
    table.add_column(f"healthy ({answer.nodes:,} nodes)", justify="right")
    after = answer.survivors
    table.add_column("after " + (answer.failure_scenario or "failures").replace("_", " "), justify="right")
    rows = [("P(wait)", "probability_of_wait", 100.0, "%")] + [
        (f"{p} {kind}", f"{p}_{kind}_seconds", 1000.0, " ms")
        for kind in ("wait", "response") for p in ("mean", "p50", "p95", "p99")]
    for label, name, scale, unit in rows:
        table.add_row(label, _interval(getattr(answer.healthy, name), scale, unit),
                      "-" if after is None else _interval(getattr(after, name), scale, unit))
    console.print(table)
    console.print("Assumptions: " + "; ".join(notes) + ".")


__all__ = ["batch_variability", "read_samples", "resolve_method", "run_simulated", "service_law"]
