"""Idempotency keys on POST: a retried push (same token, same `Idempotency-Key`) gets the
first answer again, re-serialised from the object it created, and creates nothing.

The key row is inserted in the same transaction as the service's write, before it: a
concurrent retry waits on the unique index, then replays. A request refused (400, 403...)
rolls its key back with everything else, so it can be sent again once corrected. Only the
created object's id is stored, never the payload (nothing to erase with the child)."""

from __future__ import annotations

import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was used for a different request."
    default_code = "idempotency_key_reused"


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.path.encode() + b"\n")
    digest.update(json.dumps(request.data, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def create_once(request, *, object_type: str, create, replay):
    """`create()` returns the created object; `replay(object_id)` re-serialises it (or
    None if it is gone or out of reach). Returns the 201 response."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        with transaction.atomic():
            data, _object_id = create()
            return Response(data, status=status.HTTP_201_CREATED)
    if len(key) > 255:
        raise ValidationError({HEADER: [_("At most 255 characters.")]})
    fingerprint = _fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    token=request.auth, key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            row = IdempotencyKey.objects.get(token=request.auth, key=key)
            if row.fingerprint != fingerprint or row.object_type != object_type:
                raise KeyReused from None
            data = replay(row.object_id)
            if data is None:
                raise KeyReused(
                    _("What this Idempotency-Key created is no longer there.")
                ) from None
            headers = {REPLAYED_HEADER: "true"}
            return Response(data, status=status.HTTP_201_CREATED, headers=headers)
        data, object_id = create()
        row.object_type = object_type
        row.object_id = object_id
        row.save(update_fields=["object_type", "object_id"])
        return Response(data, status=status.HTTP_201_CREATED)
