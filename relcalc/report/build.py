"""``relcalc report`` end to end: read the service, analyse it, render it, write the directory.

Each step lives in its own module: :mod:`.spec` (reading), :mod:`.analysis`
(the core, with :mod:`.improvements`), :mod:`.render` (charts, tables,
templates) and :mod:`.writer` (the directory and its manifest).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import InputError
from .analysis import ServiceAnalysis, analyze_service


@dataclass(frozen=True)
class ReportRun:
    """What ``write_report`` did: the analysis, where the report went and what it wrote."""

    analysis: ServiceAnalysis
    directory: str
    files: tuple[str, ...]
    pdf: str | None = None


def read_input(spec_path: str) -> tuple[bytes, str]:
    """The spec's bytes and the name the footer gives it (``-`` is standard input), bounded in size."""
    from ..loading import MAX_BYTES, open_input

    if spec_path == "-":
        import sys

        data, name = sys.stdin.buffer.read(MAX_BYTES + 1), "stdin"
    else:
        with open_input(spec_path, "SERVICE.yaml", "a service YAML") as handle:  # /dev/zero must not fill the memory
            data, name = handle.read(MAX_BYTES + 1), os.path.basename(spec_path)
    if len(data) > MAX_BYTES:
        raise InputError(f"{spec_path}: larger than {MAX_BYTES // 2**20} MiB, more than any service file needs")
    return data, name


def write_report(spec_path: str, out_dir: str, *, seed: int | None = None, years: float | None = None,
                 method: str | None = None, png: bool = False, pdf: bool = False, progress=None) -> ReportRun:
    """Read ``spec_path``, analyse it and write the report to ``out_dir`` (see :mod:`.writer` for the rules)."""
    from .. import __version__
    from .render import provenance, render
    from .spec import load_service
    from .writer import MANIFEST, check_target, write_directory

    data, source = read_input(spec_path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{spec_path}: not UTF-8 text") from None
    base_dir = "." if spec_path == "-" else os.path.dirname(os.path.abspath(spec_path))
    spec = load_service(text, source, base_dir)
    check_target(out_dir)  # refuse before minutes of work, not after
    browser = None
    if pdf:
        from .pdf import find_browser

        browser = find_browser()
    prov = provenance(source, data)
    analysis = analyze_service(spec, seed=seed, years=years, method=method, progress=progress)
    files = render(analysis, prov, png=png)
    if browser is not None:
        from .pdf import print_pdf

        files["report.pdf"] = print_pdf(browser, files["report.html"])
    target = write_directory(out_dir, files, __version__)
    return ReportRun(analysis, target, tuple(sorted(files)) + (MANIFEST,),
                     os.path.join(target, "report.pdf") if browser else None)


def _analyze_store(spec, model):
    """The store ``model`` analysed the way ``spec`` asks (kept for callers of the former build module)."""
    from .analysis import StoreRunner

    return StoreRunner(spec)(model)
