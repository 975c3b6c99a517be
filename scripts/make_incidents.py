"""Generate samples/incidents.csv: a year of the checkout service's incidents (run once, fixed seed).

The export imitates a paging tool's CSV: one row per incident with an id,
the component, when it was opened and resolved (ISO 8601 with the offset of
the on-call's zone, Europe/Paris, which changes with daylight saving time)
and a summary. The figures behind it are the ones samples/checkout-service.yaml
assumes, so the estimate can be compared with what was typed there:

- lb: MTBF 50,000 h per unit (so probably no incident in a year), repairs lognormal, median 1.5 h;
- app: three instances, MTBF 2,000 h each, repairs lognormal, median 3 h (sigma 0.6);
- cache: two instances, MTBF 4,000 h each, repairs lognormal, median 40 min (sigma 0.5);
- orders-raft: five Raft nodes, MTBF 4,000 h each, repairs lognormal, median 6 h (sigma 0.5).

Times between failures are exponential (a constant rate), per component over
all its instances. Two alerts of the app are exported twice (a re-fired page
a few minutes later, overlapping the first): ``relcalc estimate`` merges them.
A declaration row (no start) says the lb was observed and had no incident.

Usage: python scripts/make_incidents.py [OUT]   (default samples/incidents.csv)
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

SEED = 20251129
WINDOW = (datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 1, tzinfo=timezone.utc))
PARIS = ZoneInfo("Europe/Paris")
# name: (instances, MTBF hours per instance, repair median hours, repair sigma, summaries)
COMPONENTS = {
    "lb": (1, 50_000.0, 1.5, 0.6, ["lb health checks failing"]),
    "app": (3, 2_000.0, 3.0, 0.6, ["app 5xx rate above 5%", "app pod crash loop", "app latency SLO burn"]),
    "cache": (2, 4_000.0, 40 / 60, 0.5, ["cache node unreachable", "cache evictions storm"]),
    "orders-raft": (5, 4_000.0, 6.0, 0.5, ["raft node down", "raft node disk full"]),
}
DUPLICATES = 2  # app incidents exported twice (a page fired again while the first was open)


def incidents(rng: np.random.Generator) -> list[dict]:
    hours = (WINDOW[1] - WINDOW[0]).total_seconds() / 3600
    rows = []
    for name, (count, mtbf, median, sigma, summaries) in COMPONENTS.items():
        t = 0.0
        while True:
            t += rng.exponential(mtbf / count)
            if t >= hours:
                break
            repair = float(rng.lognormal(np.log(median), sigma))
            end = min(t + repair, hours - 1 / 60)  # still inside the window
            rows.append({"component": name, "start": t, "end": end, "summary": str(rng.choice(summaries))})
            t = end
    app = [r for r in rows if r["component"] == "app"]
    for row in rng.choice(app, size=min(DUPLICATES, len(app)), replace=False):
        later = row["start"] + float(rng.uniform(2, 9)) / 60
        rows.append({"component": "app", "start": later, "end": row["end"], "summary": row["summary"] + " (re-fired)"})
    rows.sort(key=lambda r: r["start"])
    return rows


def stamp(hours: float) -> str:
    moment = (WINDOW[0] + timedelta(hours=hours)).astimezone(PARIS)
    return moment.replace(microsecond=0).isoformat()


def main(out: str = "samples/incidents.csv") -> None:
    rng = np.random.default_rng(SEED)
    rows = incidents(rng)
    from relcalc.files import atomic_text  # no half-written sample if the run is stopped

    with atomic_text(out, option="OUT") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "component", "started_at", "resolved_at", "summary"])
        for i, row in enumerate(rows, start=1):
            writer.writerow([f"INC-{1000 + i}", row["component"], stamp(row["start"]), stamp(row["end"]),
                             row["summary"]])
        if not any(r["component"] == "lb" for r in rows):
            writer.writerow(["", "lb", "", "", "observed all year, no incident"])
    print(f"wrote {len(rows)} incidents to {out}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) > 1 or (args and args[0].startswith("-")):  # --help, or a typo, is not a file name to write
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        sys.exit(0 if args and args[0] in ("-h", "--help") else 2)
    main(*args)
