"""``relcalc report``: one service YAML in, a capacity-review report out.

For Python users, :func:`analyze_service` gives the whole analysis as a typed
result without writing anything; :func:`write_report` writes the report.
"""

from .analysis import ServiceAnalysis, Verdict, analyze_service
from .build import ReportRun, write_report
from .improvements import Improvement
from .spec import ServiceSpec, load_service

__all__ = ["Improvement", "ReportRun", "ServiceAnalysis", "ServiceSpec", "Verdict", "analyze_service",
           "load_service", "write_report"]
