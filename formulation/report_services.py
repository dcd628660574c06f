"""Old import path, kept only for the callers outside the app (tests/ecm, tests/reviews,
scripts/bench_report_pdf.py) until they import `formulation.report.services`. Nothing in
formulation uses this module."""

from .report.services import (
    report_approve,
    report_finalise,
    report_save,
    report_send_for_check,
    report_start,
)

__all__ = [
    "report_approve",
    "report_finalise",
    "report_save",
    "report_send_for_check",
    "report_start",
]
