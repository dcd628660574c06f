"""Editing records safely, the same way in every app.

* `model_update` sets the given fields on an instance and says which ones changed (the names
  go into the audit row; the values never do).
* `check_version` refuses an edit based on an older version of a record (optimistic
  concurrency: every save of a versioned record bumps its counter), with one clear message.
* `form_with_saved_version` is the view's side of a refused edit: the form keeps what the
  person typed and carries the saved version, so that once they have compared the two their
  next save is taken.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

#: Fields every save touches: never reported as changed.
BOOKKEEPING_FIELDS = frozenset({"version", "revision", "updated_at", "created_at"})


class StaleEditError(ValidationError):
    """The edit was based on a version of the record that someone else has since changed."""


def model_update(
    instance: models.Model, data: Mapping[str, object], *, fields: Iterable[str] | None = None
) -> list[str]:
    """Set `data` on `instance` (only the names in `fields`, when given) and return the names
    of the concrete fields whose value changed, in model order. Nothing is saved: the service
    validates and saves. On a new instance, the fields set away from their defaults count as
    changed."""
    allowed = set(fields) if fields is not None else None
    concrete = instance._meta.concrete_fields
    before = {f.attname: getattr(instance, f.attname) for f in concrete}
    for name, value in data.items():
        if allowed is None or name in allowed:
            setattr(instance, name, value)
    return [
        f.name
        for f in concrete
        if f.name not in BOOKKEEPING_FIELDS and before[f.attname] != getattr(instance, f.attname)
    ]


def check_version(
    record: models.Model,
    expected: int | None,
    *,
    field: str = "version",
    what: str | None = None,
    typed: bool = True,
) -> None:
    """Refuse the edit if `record` is no longer at version `expected` (its `field`).

    `expected` None passes: a caller with no version to compare (a new record). `what` names
    the record in the message (its verbose name by default); `typed` says whether the person
    typed something that the page keeps (a form) or pressed a button (a status change)."""
    if expected is None or expected == getattr(record, field):
        return
    what = what or str(record._meta.verbose_name)
    if typed:
        message = _(
            "Someone else saved this %(what)s while you were working on it, so your change "
            "has not been saved. What you typed is still in the form: compare it with the "
            "saved version, then save again."
        )
    else:
        message = _(
            "Someone else changed this %(what)s while you were working on it, so your change "
            "has not been made. Reload the page to see their change, then try again."
        )
    raise StaleEditError(message % {"what": what}, code="stale")


def form_with_saved_version(
    form_class, data, saved: models.Model, error, *, field="version", **kwargs
):
    """After a refused stale edit: `form_class` bound to what was typed (`data`, the request's
    POST), with `saved`'s current version in its hidden `field`, the refusal as an error at
    the top and `form.stale` set for the template (which shows the saved version beside it).
    `kwargs` go to the form (e.g. `instance=saved`)."""
    saved.refresh_from_db()
    data = data.copy()
    data[field] = str(getattr(saved, field))
    form = form_class(data=data, **kwargs)
    form.is_valid()
    for message in error.messages:
        form.add_error(None, message)
    form.stale = True
    return form
