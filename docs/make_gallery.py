"""Regenerate the README's chart gallery (docs/gallery/*.png) from the bundled samples.

Run from the project root: python docs/make_gallery.py

The gallery uses 100 dpi (1000 x 562 pixels) to keep the repository light;
relcalc itself writes 200 dpi PNGs.
"""

from __future__ import annotations

import os

import pandas as pd

from relcalc.capacity import Cluster, size
from relcalc.capacity.sizing import project_growth
from relcalc.capacity.usl import fit_usl
from relcalc.charts import availability, capacity, compose, raft
from relcalc.raft import Distribution, RaftModel
from relcalc.raft.engine import simulate, trace
from relcalc.raft.methods import analyze
from relcalc.rbd import evaluate
from relcalc.rbd.spec import load_spec_text, system_from_mapping

OUT = os.path.join(os.path.dirname(__file__), "gallery")


def write(fig, name: str) -> None:
    fig.savefig(os.path.join(OUT, f"{name}.png"), dpi=100)
    print(name)


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    write(availability.mttr_curve(2000.0, 4.0, 5e-4), "availability-mttr")
    write(availability.nines_map(1e-4, point=(2000.0, 4.0)), "nines-map")
    services = pd.read_csv("samples/services.csv")
    from relcalc.availability_csv import evaluate_availability_csv

    table = evaluate_availability_csv(services).table
    write(availability.ranking(table["name"], table["nines"].to_numpy(), 5e-4), "availability-ranking")
    system = system_from_mapping(load_spec_text(open("samples/web-service.yaml").read()))
    result = evaluate(system)
    write(compose.diagram(system, result, "web-service"), "compose-diagram")
    write(compose.pareto(result), "compose-pareto")
    model = RaftModel(nodes=5, ttf=Distribution("exponential", 2000.0), ttr=Distribution("lognormal", 8.0, 1.0),
                      crews=1, layout=(2, 2, 1), zone_ttf=Distribution("exponential", 8760.0),
                      zone_ttr=Distribution("exponential", 2.0))
    write(raft.timeline(trace(model, seed=3), "; seed 3"), "raft-year")
    run = simulate(model, years=100_000, seed=1)
    write(raft.outages(run.outage_histogram, " in 100,000 years"), "raft-outages")
    sweep = [analyze(RaftModel(nodes=n, common_cause=b), method="exact") for b in (0.0, 0.01) for n in (3, 5, 7)]
    write(raft.sweep(sweep), "raft-sweep")
    cluster = Cluster(rate=12000.0, service_time=0.04, concurrency=32, target_utilization=0.7, zones=3,
                      latency_quantile=0.99, latency_seconds=0.2, balancer="two-choices", sessions=2000)
    write(capacity.utilization_latency(cluster, size(cluster)), "capacity")
    write(capacity.growth(project_growth(cluster, 1.04, 18, 28)), "capacity-growth")  # the sample: 28 today
    data = pd.read_csv("samples/usl-measurements.csv")
    write(capacity.usl(fit_usl(data.nodes, data.throughput), data.nodes, data.throughput), "capacity-usl")


if __name__ == "__main__":
    main()
