"""Old import path, kept only for the callers in other apps (reviews, their tests) until they
import `formulation.trm.selectors.stages_for`. Nothing in formulation uses this module."""

from .trm.selectors import stages_for

__all__ = ["stages_for"]
