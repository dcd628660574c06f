"""Stub of the erasure engine (written on another branch): dropped at merge."""

from __future__ import annotations

from collections.abc import Callable


def erase_child(child_id: int, *, progress: Callable[[int, int, str], None] | None = None) -> dict:
    raise NotImplementedError
