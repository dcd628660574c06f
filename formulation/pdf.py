"""Old import path, kept only for scripts/bench_report_pdf.py until it imports
`formulation.report.pdf`. Nothing in formulation uses this module."""

from .report.pdf import document_for, estimated_size, render_pdf

__all__ = ["document_for", "estimated_size", "render_pdf"]
