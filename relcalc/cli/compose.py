"""``relcalc compose``: exact availability of a block diagram and what to fix first."""

from __future__ import annotations

import math
import os
from typing import Annotated, Optional

import typer

from ..errors import ExitCode, InputError
from ..results import record as to_record
from ..units import format_duration, format_number, format_percent, format_period
from .output import ChartOption, FormatOption, OutputOption, check_chart_path, emit, facts_table

ASSUMPTIONS = (
    "components fail and are repaired independently, each with its own repair crew unless a repair group shares crews",
    "components keep failing while the system is down (steady state of two-state components)",
    "Fussell-Vesely is the conditional form P(component down | system down)",
)
CUT_SET_NOTE = ("F-V cut is the cut-set form: the sum of P(C)/U over the listed minimal cut sets containing the "
                "component (rare-event approximation, cut sets above the order left out)")


def compose_command(
    spec: Annotated[str, typer.Argument(metavar="SPEC", help="A YAML/JSON file, - for stdin, or an inline expression such as \"lb * 3x app * 2/3 db\".")],
    component: Annotated[Optional[list[str]], typer.Option("--component", "-c", metavar="NAME=MTBF/MTTR", help="A component for an inline expression: lb=50000h/2h or power=99.999%. Repeatable.")] = None,
    components: Annotated[Optional[str], typer.Option("--components", metavar="FILE.csv", help="Component parameters from a CSV: name,mtbf,mttr or name,availability; optional count.")] = None,
    set_: Annotated[Optional[list[str]], typer.Option("--set", metavar="NAME.PARAM=VALUE", help="What-if change, e.g. app.mttr=1h or db.count=5. Repeatable.")] = None,
    target: Annotated[Optional[str], typer.Option(help="Target availability (99.99% or 0.9999): checked, and the goal of --solve-*.")] = None,
    solve_mttr: Annotated[Optional[str], typer.Option(metavar="NAMES|all", help="With --target: the largest MTTR, common to these components, that meets it.")] = None,
    solve_count: Annotated[Optional[str], typer.Option(metavar="NAME", help="With --target: the smallest number of instances of NAME that meets it.")] = None,
    mission_time: Annotated[Optional[str], typer.Option(help="Mission reliability R(t) without repair at this time (e.g. 1y), and the MTTF.")] = None,
    cut_sets: Annotated[Optional[str], typer.Option("--cut-sets", metavar="[ORDER]", help="Minimal cut sets of up to ORDER components (3 if not given), single points of failure first, with Fussell-Vesely by cut sets.")] = None,
    at: Annotated[Optional[str], typer.Option("--at", metavar="TIME", help="Point availability A(t) of every component and the system at TIME (e.g. 24h) after all up.")] = None,
    window: Annotated[Optional[str], typer.Option("--window", metavar="START..END", help="Mean availability over a window, e.g. 0h..24h, of every component and the system.")] = None,
    initially_down: Annotated[Optional[str], typer.Option("--initially-down", metavar="NAMES", help="With --at/--window: these components (or NAME#i instances) start down at 0, e.g. after maintenance.")] = None,
    mttf_with_repair: Annotated[bool, typer.Option("--mttf-with-repair", help="Mean time to the first system failure from all up, with repair (exact chain of the whole diagram; simulated, with a 95% interval, where that chain is too large).")] = False,
    top: Annotated[str, typer.Option(metavar="<int>", help="Rows of the importance ranking in the table.")] = "10",
    year_days: Annotated[str, typer.Option(metavar="<float>", help="Days in a year: 365 or 365.25.")] = "365",
    components_from_incidents: Annotated[Optional[str], typer.Option("--from-incidents", metavar="INCIDENTS.csv", help="MTBF and MTTR of components named in this incident history (see relcalc estimate); also spelt --components-from-incidents.")] = None,
    components_from_incidents_long: Annotated[Optional[str], typer.Option("--components-from-incidents", hidden=True)] = None,
    incidents_window: Annotated[Optional[str], typer.Option(metavar="START..END", help="Observation window of --from-incidents (or window columns).")] = None,
    uncertainty: Annotated[bool, typer.Option("--uncertainty", help="90% intervals on availability, downtime and nines from the estimates' uncertainty.")] = False,
    seed: Annotated[str, typer.Option(metavar="<int>", help="Seed of the --uncertainty draws and of a simulated --mttf-with-repair.")] = "1",
    chart: ChartOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Exact availability of series, parallel, k-of-n, standby and network blocks.

    Shared components (a name used in two places) are one physical component:
    diagrams such as the bridge, and meshed networks, are evaluated exactly. Reports system
    MTBF/MTTR and ranks components by what improving them would buy.
    """
    from ..availability import Calendar
    from ..rbd.evaluate import block_availabilities, evaluate, refuse_if_it_cannot_fail
    from ..units import parse_count, parse_duration, parse_number, parse_probability

    # numeric options are text read by the one grammar of relcalc.units, as everywhere else
    top = parse_count(top, "--top")
    year_days = parse_number(year_days, "--year-days")
    calendar = Calendar(year_days)
    check_chart_path(chart)
    from ..files import refuse_overwriting_inputs
    from .output import Format, resolve_format

    refuse_overwriting_inputs(output, {"SPEC": spec, "--components": components,
                                       "--from-incidents": components_from_incidents or components_from_incidents_long})

    if resolve_format(fmt, output) is Format.csv:  # one row per instance: nowhere for these figures to go
        extras = [name for name, value in (("--target", target), ("--mission-time", mission_time),
                                           ("--cut-sets", cut_sets), ("--at", at), ("--window", window),
                                           ("--mttf-with-repair", mttf_with_repair or None)) if value is not None]
        if extras:
            raise InputError(f"{extras[0]}: its figures do not fit compose's CSV (a row per instance); "
                             "use -f json, or the table")
    history, found = None, []
    if components_from_incidents is not None and components_from_incidents_long is not None:
        raise InputError("--from-incidents and --components-from-incidents are the same option; give it once")
    components_from_incidents = components_from_incidents if components_from_incidents is not None else components_from_incidents_long
    if components_from_incidents is not None:  # estimates from data (relcalc.estimate.hooks)
        from ..estimate.hooks import load_estimates

        history = load_estimates(components_from_incidents, window=incidents_window, year_days=year_days)
    elif incidents_window is not None:
        raise InputError("--incidents-window goes with --from-incidents")
    system = _load_system(spec, component or [], components, year_days, history, found)
    _warn_repeated_names(system)
    from ..rbd.spec import apply_set

    for assignment in set_ or []:
        system = apply_set(system, assignment, year_days)
    goal = parse_probability(target, "--target") if target is not None else None
    if (solve_mttr or solve_count) and goal is None:
        raise InputError("--solve-mttr and --solve-count need a --target")
    import time

    started = time.perf_counter()
    result = refuse_if_it_cannot_fail(evaluate(system, calendar=calendar))
    from .output import detail

    detail(f"{len(system.components)} components, {_count_blocks(system.root)} blocks evaluated exactly "
           f"in {time.perf_counter() - started:.3g} s")
    record = to_record(result)
    record["assumptions"] = list(ASSUMPTIONS)
    if goal is not None:
        record["target_availability"], record["target_unavailability"] = goal
        record["meets_target"] = getattr(result, "unavailability_high", result.unavailability) <= goal[1]
    solutions = []
    if solve_mttr:
        from ..rbd.inverse import largest_mttr

        names = "all" if solve_mttr.strip() == "all" else [n.strip() for n in solve_mttr.split(",") if n.strip()]
        solutions.append(largest_mttr(system, names, goal[1]))
    if solve_count:
        from ..rbd.inverse import smallest_count

        solutions.append(smallest_count(system, solve_count.strip(), goal[1]))
    if solutions:
        record["solutions"] = [to_record(s) for s in solutions]
    spread = None
    if found:
        record["from_incidents"] = {"source": found[0].source, "components": sorted(found[0].components),
                                    "notes": list(found[0].notes)}
    if uncertainty:
        from ..estimate.hooks import propagate_found

        spread = propagate_found(system, found, parse_count(seed, "--seed", low=0, high=2**63 - 1), calendar)
        record["uncertainty"] = to_record(spread)
    cuts = None
    if cut_sets is not None:
        from ..rbd.cuts import MAX_ORDER
        from ..rbd.cuts import cut_sets as find_cut_sets

        order = parse_count(cut_sets, "--cut-sets", high=MAX_ORDER)  # one message for every order out of range
        cuts = find_cut_sets(system, order, unavailability=result.unavailability)
        record["single_points_of_failure"] = list(cuts.single_points_of_failure)
        record["cut_sets"] = to_record(cuts)
    point = interval = None
    down_names = [n.strip() for n in (initially_down or "").split(",") if n.strip()]
    if initially_down is not None and not down_names:
        raise InputError("--initially-down: expected component names such as db or db#2")
    if down_names and at is None and window is None:
        raise InputError("--initially-down needs --at or --window")
    if at is not None:
        from ..rbd.transient import availability_at

        point = availability_at(system, parse_duration(at, "--at", year_days=year_days, allow_zero=True), down_names)
        record["at"] = to_record(point)
    if window is not None:
        from ..rbd.transient import availability_over, parse_window

        interval = availability_over(system, *parse_window(window, year_days), down_names)
        record["window"] = to_record(interval)
    repaired = None
    if mttf_with_repair:
        from ..rbd.mttf import mttf_with_repair as solve_mttf

        repaired = solve_mttf(system, seed=parse_count(seed, "--seed", low=0, high=2**63 - 1))
        record["mttf_with_repair"] = to_record(repaired)
    mission_result = None
    if mission_time is not None:
        from ..rbd.mission import mission

        mission_result = mission(system, parse_duration(mission_time, "--mission-time", year_days=year_days))
        record["mission"] = to_record(mission_result)

    def table(console) -> None:
        _render(console, system, result, goal, solutions, mission_result, top, block_availabilities, cuts, repaired,
                (point, interval))
        if found:
            from .estimate import render_uncertainty

            render_uncertainty(console, spread, found[0])

    emit(fmt, output, table=table, json_data=lambda: record, csv_write=lambda handle: _csv(result, handle, spread))
    if chart is not None:
        from ..charts import save, sibling
        from ..charts.compose import diagram, pareto

        name = os.path.splitext(os.path.basename(spec))[0] if os.path.isfile(spec) else "system"
        save(diagram(system, result, name), chart)
        save(pareto(result), sibling(chart, "pareto"))
        if spread is not None:  # the spread of the downtime from the estimates
            from ..charts.estimate import uncertainty as uncertainty_chart

            save(uncertainty_chart(spread, calendar.year_hours), sibling(chart, "uncertainty"))
    missed = goal is not None and not record["meets_target"]
    unreachable = any(s.value is None for s in solutions)
    if missed or unreachable:
        raise typer.Exit(ExitCode.PARTIAL)


def _warn_repeated_names(system) -> None:
    """A note for a name repeated inside one block: by the shared-component rule it is one component, not several."""
    from collections import Counter

    from ..rbd.model import KofN, Parallel, Use
    from .output import warn

    stack = [system.root]
    while stack:
        block = stack.pop()
        children = getattr(block, "children", ())
        stack.extend(children)
        for name, times in Counter(c.name for c in children if isinstance(c, Use)).items():
            if times < 2:
                continue
            if isinstance(block, KofN):
                how = f"'{block.k}/{times} {name}'"
            elif isinstance(block, Parallel):
                how = f"'{times}x {name}'"
            else:
                how = f"'{name}'"
            warn(f"{block.where or 'system'}: {name} appears {times} times in one block, which by the "
                 f"shared-component rule is a single {name}; for {times} instances write {how} with count {times}")


def _load_system(spec: str, inline: list[str], components_csv: str | None, year_days: float, history=None,
                 found: list | None = None):
    from ..rbd.model import System
    from ..rbd.spec import load_spec_text, parse_component_option, parse_expression, system_from_mapping

    found = [] if found is None else found  # filled with what an incident history gave

    extra = {}
    if components_csv:
        extra = _components_from_csv(components_csv, year_days)
    from_csv = list(extra)
    for text in inline:
        comp = parse_component_option(text, year_days)
        if comp.name in extra:
            raise InputError(f"--component {comp.name}: defined twice (duplicate definition)")
        extra[comp.name] = comp
    is_file = spec == "-" or os.path.exists(spec) or spec.lower().endswith((".yaml", ".yml", ".json"))
    if is_file:
        from ..loading import read_text

        text, source = read_text(spec, "SPEC")
        data = load_spec_text(text, source)
        if history is not None or "from_incidents" in data:  # components from an incident history
            from ..estimate.hooks import resolve_spec

            base = os.path.dirname(os.path.abspath(spec)) if spec != "-" else os.getcwd()
            data, taken = resolve_spec(data, base_dir=base, year_days=year_days, history=history)
            if taken is not None:
                extra.update(taken.components)
                found.append(taken)
        system = system_from_mapping(data, extra_components=extra, year_days=year_days)
        unused = [name for name in from_csv if name not in _used_names(system.root)]
        if unused:  # as an unused -c is: most likely a misspelt name, whose figures would be silently dropped
            raise InputError(f"--components: {unused[0]!r} is not used by the spec's diagram (a misspelt name?)")
        return system
    from dataclasses import replace

    root, counts = parse_expression(spec)
    if history is not None:  # names without --component take their figures from the incident history
        from ..estimate.hooks import take_components

        taken = take_components(history, {n: c for n, c in counts.items() if n not in extra}, "--from-incidents")
        extra.update(taken.components)
        found.append(taken)
    for name, count in counts.items():
        if name not in extra:
            raise InputError(f"expression: component {name!r} has no parameters; add --component {name}=MTBF/MTTR")
        if count > 1 or extra[name].count == 1:
            extra[name] = replace(extra[name], count=count)
    unused = set(extra) - set(counts)
    if unused:
        raise InputError(f"--component {sorted(unused)[0]}: not used in the expression")
    system = System(extra, root)
    system.validate()
    return system


def _used_names(block) -> set[str]:
    """The component names a diagram uses (instances count as their component)."""
    from ..rbd.model import Network, Standby, Use, split_reference

    if isinstance(block, Use):
        return {split_reference(block.name)[0]}
    if isinstance(block, Standby):
        return {block.name}
    if isinstance(block, Network):
        return {split_reference(r)[0] for r in block.references}
    return {name for child in block.children for name in _used_names(child)}


def _components_from_csv(path: str, year_days: float):
    from ..batch import is_blank, read_csv
    from ..loading import csv_source
    from ..rbd.spec import component_from_mapping

    frame = read_csv(csv_source(path, "--components"), "--components")  # a device or pipe is read bounded
    columns = {c.strip().lower(): c for c in frame.columns}
    if "name" not in columns:
        raise InputError("--components: the CSV needs a 'name' column")
    out = {}
    known = ("availability", "mtbf", "mttr", "failure_rate", "repair_rate", "count", "weibull_shape", "lognormal_sigma")
    for i, row in enumerate(frame.to_dict(orient="records"), start=1):
        name = str(row[columns["name"]]).strip()
        params = {}
        for key in known:
            if key in columns:
                value = row[columns[key]]
                if not is_blank(value):
                    params[key] = value  # read (count too) by component_from_mapping
        if name in out:
            raise InputError(f"--components: row {i}: {name!r} defined twice (duplicate definition)")
        out[name] = component_from_mapping(name, params, f"--components row {i} ({name})", year_days)
    return out


def _csv(result, handle, spread=None) -> None:
    """The system's unavailability, then one row of importance measures per component.

    As in JSON, an unavailability below 1e-300 is an empty cell, never 0, and
    the last column gives its log10; figures that are not given (NaN) are
    empty too.
    """
    import math

    from ..files import write_csv
    from ..rbd.evaluate import UNDERFLOW

    columns = ["name", "unavailability", "birnbaum", "criticality", "fussell_vesely", "risk_achievement_worth",
               "improvement_potential"]
    shown = None if result.unavailability < UNDERFLOW else result.unavailability
    system = ["SYSTEM", shown] + [None] * (len(columns) - 2) + [result.unavailability_log10]
    rows = [[getattr(item, c) for c in columns] + [math.log10(item.unavailability)] for item in result.importance]
    rows = [[None if isinstance(v, float) and math.isnan(v) else v for v in row] for row in rows]
    if spread is not None:  # --uncertainty: the intervals beside the point figures (relcalc.cli.estimate)
        from .estimate import uncertainty_csv_columns

        extra, cells = uncertainty_csv_columns(spread, ["SYSTEM"] + [item.name for item in result.importance])
        write_csv(handle, columns + ["unavailability_log10"] + extra,
                  [row + more for row, more in zip([system] + rows, cells)])
        return
    write_csv(handle, columns + ["unavailability_log10"], [system] + rows)


def _tiny(log10: float) -> str:
    """A number given by its log10, such as 3.16e-2171, beyond the float range."""

    if log10 == -math.inf:  # exactly zero (a block that needs no component), not an underflow
        return "0"
    exponent = math.floor(log10)
    return f"{10 ** (log10 - exponent):.3g}e{exponent}"


def _unavailability_text(unavailability: float, log10: float) -> str:
    from ..rbd.evaluate import UNDERFLOW

    if unavailability == 0.0 and log10 == -math.inf:
        return "0 (cannot fail)"
    if unavailability < UNDERFLOW:
        return f"< 1e-300 (about {_tiny(log10)})"
    return f"{unavailability:.4g}"


def _availability_text(availability: float, unavailability: float, log10: float) -> str:
    from ..rbd.evaluate import UNDERFLOW

    if unavailability == 0.0 and log10 == -math.inf:
        return "100% (cannot fail)"
    if unavailability < UNDERFLOW:
        return f"1 - {_tiny(log10)}"
    return format_percent(availability, unavailability)


def _render(console, system, result, goal, solutions, mission_result, top, block_availabilities, cuts=None,
            repaired=None, over_time=(None, None)) -> None:
    from rich.table import Table
    from rich.text import Text  # a user's name is text, never rich markup ("[/]" would be a MarkupError)
    from rich.tree import Tree

    from ..rbd.evaluate import UNDERFLOW

    summary = facts_table()
    log10 = result.unavailability_log10
    summary.add_row("Availability", _availability_text(result.availability, result.unavailability, log10))
    summary.add_row("Unavailability", _unavailability_text(result.unavailability, log10))
    if getattr(result, "repair_chain", ""):  # a repair group's chain was truncated: U is bounded, not exact
        summary.add_row("U lies within", f"{result.unavailability_low:.4g} .. {result.unavailability_high:.4g} "
                                         f"({result.repair_chain})")
    summary.add_row("Nines", f"{result.nines:.2f}")
    downtime = result.downtime_per_year_hours
    summary.add_row("Downtime per year", "< 1e-293 s" if downtime is None else format_duration(downtime))
    if result.failure_frequency_per_hour:
        per_year = result.failure_frequency_per_hour * result.calendar.year_hours
        summary.add_row("Failures per year", f"{per_year:.4g}")
        summary.add_row("System MTBF", f"{format_number(result.mtbf_hours)} h")
        summary.add_row("System MTTR", format_duration(result.mttr_hours))
    if result.frequency_excludes:
        summary.add_row("Not in frequency", Text(", ".join(result.frequency_excludes) + " (availability only)"))
    if goal is not None:
        # a truncated repair chain bounds U: the target is met only if its upper bound meets it
        verdict = "yes" if getattr(result, "unavailability_high", result.unavailability) <= goal[1] else "NO"
        summary.add_row("Target", f"{format_percent(*goal)} -> meets target: {verdict}")
    for s in solutions:
        what = "largest MTTR" if s.solve == "mttr_hours" else "smallest count"
        names = ", ".join(s.components)
        if s.value is None:
            text = "unreachable"
        elif s.value == float("inf"):
            text = "any value meets the target"
        else:
            text = format_duration(s.value) if s.solve == "mttr_hours" else f"{s.value}"
        summary.add_row(Text(f"{what} ({names})"), text)
    if mission_result is not None:
        label = format_period(mission_result.mission_hours, year_days=result.calendar.year_days)
        summary.add_row(f"R({label})", f"{mission_result.reliability:.6g}")
        if mission_result.mttf_hours is None:
            summary.add_row("MTTF (no repair)", mission_result.mttf_note)
        else:
            summary.add_row("MTTF (no repair)", f"{format_number(mission_result.mttf_hours)} h")
    point, interval = over_time
    if point is not None:
        bound = "" if point.lost_bound is None else f", each at most {point.lost_bound:.2g} short (truncated chain)"
        summary.add_row(f"A(t) at {format_duration(point.time_hours)}",
                        f"{format_percent(point.availability, point.unavailability)}  (U {point.unavailability:.4g}{bound})")
    if interval is not None:
        span = f"{format_duration(interval.start_hours)}..{format_duration(interval.end_hours)}"
        bound = "" if interval.error_bound is None else f" +/- {interval.error_bound:.1g}"
        summary.add_row(f"Mean A over {span}",
                        f"{format_percent(interval.availability, interval.unavailability)}  (U {interval.unavailability:.4g}{bound})")
    if repaired is not None:
        figure = repaired.mttf_hours
        if figure.low is None:
            summary.add_row("MTTF (with repair)", f"{format_number(figure.value)} h  (exact chain, {repaired.chain_states:,} state{'' if repaired.chain_states == 1 else 's'})")
        else:
            summary.add_row("MTTF (with repair)", f"{format_number(figure.value)} h  (simulated, 95%: {figure.low:,.4g} to "
                            f"{figure.high:,.4g} h, {repaired.runs:,} runs, seed {repaired.seed})")
        if repaired.note:
            summary.add_row("", Text(repaired.note))
    console.print(summary)

    if cuts is not None:
        _render_cuts(console, cuts, top)
    cut_fv = {} if cuts is None else {c.name: c.fussell_vesely_cut_sets for c in cuts.importance}
    ranking = Table(title="What to fix first (ranked by improvement potential)", title_justify="left")
    # with the cut-set F-V the criticality column gives way (it stays in JSON), so the table keeps to 80 columns
    headers = ("component", "U", "Birnb.", "F-V", "F-V cut", "RAW", "improve") if cuts is not None else (
        "component", "U", "Birnb.", "crit.", "F-V", "RAW", "improve")
    for header in headers:
        ranking.add_column(header, justify="left" if header == "component" else "right", overflow="fold")  # never cut
    def cell(value: float, spec: str) -> str:
        return "-" if value != value else format(value, spec)  # NaN: not given (U below 1e-300)

    for item in result.importance[:top]:
        short = ".2g" if cuts is not None else ".2e"  # one more column: keep 80 wide
        cells = [
            Text(item.name),
            format(item.unavailability, short),
            cell(item.birnbaum, ".3g"),
            cell(item.criticality, ".3g"),
            cell(item.fussell_vesely, ".3g"),
            cell(item.risk_achievement_worth, ".3g"),
            cell(item.improvement_potential, short),
        ]
        if cuts is not None:
            value = cut_fv.get(item.name)
            cells[3] = cell(item.fussell_vesely, ".3g")
            cells[4] = cell(float("nan") if value is None else value, ".3g")
        ranking.add_row(*cells)
    console.print(ranking)
    if len(result.importance) > top:
        console.print(f"({len(result.importance) - top} more; --top N or -f json for all)")
    if result.unavailability < UNDERFLOW:
        console.print("U is below 1e-300: the figures relative to it are not given (-).")

    if _count_blocks(system.root) <= 200:
        values = block_availabilities(system)
        tree = Tree(Text(_label(system, system.root, values)))
        stack = [(tree, system.root)]
        while stack:
            branch, block = stack.pop()
            for child in getattr(block, "children", ()):
                stack.append((branch.add(Text(_label(system, child, values))), child))
        console.print(tree)
    console.print("Assumptions: " + "; ".join(ASSUMPTIONS) + ".")
    if cuts is not None:
        console.print(CUT_SET_NOTE + ".")


def _render_cuts(console, cuts, top: int) -> None:
    from rich.table import Table
    from rich.text import Text

    if cuts.single_points_of_failure:
        console.print(Text("Single points of failure: " + ", ".join(cuts.single_points_of_failure)))  # names are text, not markup
    else:
        console.print("Single points of failure: none")
    table = Table(title=f"Minimal cut sets up to order {cuts.max_order} (single points of failure first)",
                  title_justify="left")
    for header in ("cut set", "order", "P(down)", "share of U"):
        table.add_column(header, justify="left" if header == "cut set" else "right", overflow="fold")  # never cut
    shown = max(top, len(cuts.single_points_of_failure))
    for c in cuts.cut_sets[:shown]:
        share = "-" if c.share_of_unavailability is None else f"{c.share_of_unavailability:.3g}"
        probability = ("-" if c.probability is None else f"{c.probability:.3g}" if c.probability > 0
                       else f"1e{c.probability_log10:.1f}")
        table.add_row(Text(" + ".join(c.components)), str(c.order), probability, share)
    console.print(table)
    if len(cuts.cut_sets) > shown:
        console.print(f"({len(cuts.cut_sets) - shown} more cut sets; --top N or -f json for all)")
    if not cuts.cut_sets:
        console.print(f"No cut set of {cuts.max_order} components or fewer: every way down takes more.")


def _count_blocks(block) -> int:
    total, stack = 0, [block]
    while stack:
        node = stack.pop()
        total += 1
        stack.extend(getattr(node, "children", ()))
    return total


def _label(system, block, values) -> str:
    from ..rbd.model import KofN, Network, Parallel, Series, Standby, Use

    shown = _availability_text(*values[id(block)])
    if isinstance(block, Network):
        arrow = "->" if block.directed else "--"
        return f"network {block.source} {arrow} {block.target} ({len(block.edges)} edges)  {shown}"
    if isinstance(block, Use):
        comp = system.components[block.name]
        each = format_percent(comp.availability, comp.unavailability)
        return f"{block.name}  {each}" if comp.count == 1 else f"{block.name} x{comp.count}  {each} each"
    if isinstance(block, Standby):
        return f"{block.label} {block.mode}, {block.active} active  {shown}"
    if isinstance(block, KofN):
        return f"{block.k}-of-{sum(system.member_count(child) for child in block.children)}  {shown}"
    return f"{'series' if isinstance(block, Series) else 'parallel' if isinstance(block, Parallel) else '?'}  {shown}"
