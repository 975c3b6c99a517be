"""Time to 10% precision at many nines: importance sampling against crude sampling.

Run by hand: python benchmarks/rare.py

Target (issue 5): n = 5, MTBF 10,000 h, MTTR 1 h (quorum unavailability about
1e-11) to within 10% half-width in under 5 seconds, agreeing with the exact
chain; likewise with one repair crew and with zones. The baseline is crude
sampling measured in the same run: its events per second on the same model,
times the events it would need for the same precision (about 2 (1.96/0.1)^2
quorum losses, at the exact loss frequency).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

from relcalc.raft import Distribution, RaftModel
from relcalc.raft.engine import simulate
from relcalc.raft.methods import analyze


def exp(mean: float) -> Distribution:
    return Distribution("exponential", mean)


CASES = {
    "n=5, 10,000 h / 1 h": RaftModel(nodes=5, ttf=exp(1e4), ttr=exp(1.0)),
    "  with one repair crew": RaftModel(nodes=5, ttf=exp(1e4), ttr=exp(1.0), crews=1),
    "  with zones 2/2/1 failing": RaftModel(nodes=5, ttf=exp(1e4), ttr=exp(1.0), layout=(2, 2, 1),
                                            zone_ttf=exp(1e5), zone_ttr=exp(1.0)),
    "n=7, 10,000 h / 1 h": RaftModel(nodes=7, ttf=exp(1e4), ttr=exp(1.0)),
}


def main() -> None:
    analyze(RaftModel(nodes=3), method="importance", seed=0)  # compile outside the timings
    print(f"{'case':28} {'exact U':>10} {'IS estimate':>11} {'+-':>6} {'inside':>6} {'IS s':>7} {'crude s (est.)':>15} {'ratio':>9}")
    for name, model in CASES.items():
        start = time.perf_counter()
        result = analyze(model, method="importance", seed=1, target_rel_error=0.1)
        seconds = time.perf_counter() - start
        est = result.quorum_unavailability
        truth = result.exact.quorum_unavailability
        crude = simulate(model, years=20_000, seed=1)
        losses_needed = 2 * (1.96 / 0.1) ** 2
        years = losses_needed / (result.exact.losses_per_hour * 8760)
        crude_seconds = years * (crude.events / crude.simulated_years) / crude.events_per_second
        half = (est.high - est.low) / 2 / est.value
        print(f"{name:28} {truth:10.3g} {est.value:11.3g} {half:6.1%} {str(est.low <= truth <= est.high):>6} "
              f"{seconds:7.3f} {crude_seconds:15.3g} {crude_seconds / seconds:9.2g}x")
    print("target: 10% half-width in under 5 s, inside the interval")
    # the whole command, as the README shows it: start-up, numba cache load and the chain included
    command = ["-m", "relcalc", "simulate", "raft", "--mtbf", "10000h", "--mttr", "1h", "--method", "importance"]
    subprocess.run([sys.executable, *command], capture_output=True, check=True)  # compile or load the cache once
    for run in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, *command], capture_output=True, check=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        print(f"relcalc {' '.join(command[2:])}, warm: {cpu:.2f} s CPU, {wall:.2f} s wall")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
