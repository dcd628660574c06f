"""Pagination: `?limit=` (50 by default, 500 at most) and `?offset=`. An offset past any
real list is clamped (an offset beyond PostgreSQL's bigint would otherwise fail the query:
schemathesis found it), so it answers an empty page, never an error."""

from rest_framework.pagination import LimitOffsetPagination

MAX_OFFSET = 2**31 - 1


class Pagination(LimitOffsetPagination):
    max_limit = 500

    def get_offset(self, request) -> int:
        return min(super().get_offset(request), MAX_OFFSET)
