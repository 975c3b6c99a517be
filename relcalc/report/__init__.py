"""``relcalc report``: one service YAML in, a capacity-review report out."""

from .build import build, render, write_report
from .spec import ServiceSpec, load_service

__all__ = ["ServiceSpec", "build", "load_service", "render", "write_report"]
