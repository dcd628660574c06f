"""Old import path, kept only for the callers in other apps (reviews) until they import
`formulation.report.selectors.due_label`. Nothing in formulation uses this module."""

from .report.selectors import due_label

__all__ = ["due_label"]
