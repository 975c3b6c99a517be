"""Speed of the one spec loader (relcalc/loading.py) on a 10,000-component compose spec.

Run by hand: python benchmarks/loading.py

Issue 15 measured 2.1 s to parse such a spec with PyYAML's pure-Python
loader (0.63 s with libyaml's CSafeLoader, 7 ms with json) and asked for the C
loader when present, JSON parsed as JSON, and a parse under 0.3 s. This
prints, from one run, the best of three for: yaml.safe_load (pure Python),
PyYAML's CSafeLoader alone (no duplicate-key, number or alias checks),
libyaml's events alone (the parse without building anything: a floor for any
loader built on libyaml), relcalc's loader on the YAML text (values built from
those events, relcalc/yaml_events.py), relcalc's node path (what it falls back
to for explicit tags, merge keys and errors), json.loads, and relcalc's loader
on the same spec as JSON, with each one's ratio to the CSafeLoader baseline
measured in the same run, and whether relcalc's YAML parse met the 0.3 s target.
"""

from __future__ import annotations

import json
import time

import yaml
from timing import best_cpu, best_of

from relcalc.gcpause import collector_paused
from relcalc.loading import _load_yaml_nodes, _loader_class, load_document


TARGET_SECONDS = 0.3  #: issue 15's target for the 10,000-component spec




def libyaml_events(text: str) -> None:
    parser = yaml.CSafeLoader(text)
    try:
        while parser.get_event().__class__ is not yaml.StreamEndEvent:
            pass
    finally:
        parser.dispose()


def node_path(text: str):
    with collector_paused():
        return _load_yaml_nodes(_loader_class()(text), "spec")


def spec_text(n: int = 10_000) -> str:
    lines = ["components:"]
    lines += [f"  c{i}: {{mtbf: {1000 + i}h, mttr: 4h, count: 2}}" for i in range(n)]
    lines += ["system:", "  series:"] + [f"    - parallel: [c{i}]" for i in range(n)]
    return "\n".join(lines) + "\n"


def main() -> None:
    text = spec_text()
    as_json = json.dumps(yaml.load(text, Loader=yaml.CSafeLoader))
    assert load_document(text, "spec") == load_document(as_json, "spec") == yaml.safe_load(text)
    assert _load_yaml_nodes(_loader_class()(text), "spec") == load_document(text, "spec")
    baseline = best_of(lambda: yaml.load(text, Loader=yaml.CSafeLoader))
    ours = best_of(lambda: load_document(text, "spec"))
    rows = [
        ("yaml.safe_load (pure Python)", best_of(lambda: yaml.safe_load(text))),
        ("yaml CSafeLoader (baseline)", baseline),
        ("libyaml events alone", best_of(lambda: libyaml_events(text))),
        ("relcalc loader, YAML", ours),
        ("relcalc node path, YAML", best_of(lambda: node_path(text))),
        ("json.loads", best_of(lambda: json.loads(as_json))),
        ("relcalc loader, JSON", best_of(lambda: load_document(as_json, "spec"))),
    ]
    print(f"10,000-component spec: {len(text):,} bytes of YAML, {len(as_json):,} of JSON; libyaml: "
          f"{yaml.__with_libyaml__}")
    for name, seconds in rows:
        print(f"  {name:32} {seconds * 1000:8.1f} ms   {seconds / baseline:6.2f}x CSafeLoader")
    verdict = "met" if ours <= TARGET_SECONDS else "MISSED"
    ours_cpu = best_cpu(lambda: load_document(text, "spec"))
    print(f"relcalc loader on the YAML: {ours:.3f} s ({ours_cpu:.3f} s of CPU time, which a loaded machine "
          f"inflates less) against a {TARGET_SECONDS} s target: {verdict}")


if __name__ == "__main__":
    main()
