"""Token usage and its API-price cost, as ccusage 20 reports it, from the warehouse's marts."""

from chatlake.usage.options import KINDS, ReportOptions, make_options
from chatlake.usage.report import Report, usage_report

__all__ = ["KINDS", "Report", "ReportOptions", "make_options", "usage_report"]
