"""Old import path, kept only for the callers in other apps (reviews) until they import
`due_label` from its new home. Nothing in formulation uses this module."""

from .report.views import due_label

__all__ = ["due_label"]
