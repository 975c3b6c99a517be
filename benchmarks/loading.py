"""Speed of the one spec loader (relcalc/loading.py) on a 10,000-component compose spec.

Run by hand: python benchmarks/loading.py

Issue 15 measured 2.1 s to parse such a spec with PyYAML's pure-Python
loader (0.63 s with libyaml's CSafeLoader, 7 ms with json) and asked for the C
loader when present and JSON parsed as JSON. This prints, from one run, the
best of three for: yaml.safe_load (pure Python, what relcalc used), PyYAML's
CSafeLoader alone (no duplicate-key, number or alias checks), relcalc's loader
on the YAML text, json.loads, and relcalc's loader on the same spec as JSON,
with each one's ratio to the CSafeLoader baseline measured in the same run.
"""

from __future__ import annotations

import json

import yaml
from timing import best_of

from relcalc.loading import load_document


def spec_text(n: int = 10_000) -> str:
    lines = ["components:"]
    lines += [f"  c{i}: {{mtbf: {1000 + i}h, mttr: 4h, count: 2}}" for i in range(n)]
    lines += ["system:", "  series:"] + [f"    - parallel: [c{i}]" for i in range(n)]
    return "\n".join(lines) + "\n"


def main() -> None:
    text = spec_text()
    as_json = json.dumps(yaml.load(text, Loader=yaml.CSafeLoader))
    assert load_document(text, "spec") == load_document(as_json, "spec") == yaml.safe_load(text)
    baseline = best_of(lambda: yaml.load(text, Loader=yaml.CSafeLoader))
    rows = [
        ("yaml.safe_load (pure Python)", best_of(lambda: yaml.safe_load(text))),
        ("yaml CSafeLoader (baseline)", baseline),
        ("relcalc loader, YAML", best_of(lambda: load_document(text, "spec"))),
        ("json.loads", best_of(lambda: json.loads(as_json))),
        ("relcalc loader, JSON", best_of(lambda: load_document(as_json, "spec"))),
    ]
    print(f"10,000-component spec: {len(text):,} bytes of YAML, {len(as_json):,} of JSON; libyaml: "
          f"{yaml.__with_libyaml__}")
    for name, seconds in rows:
        print(f"  {name:32} {seconds * 1000:8.1f} ms   {seconds / baseline:6.2f}x CSafeLoader")


if __name__ == "__main__":
    main()
