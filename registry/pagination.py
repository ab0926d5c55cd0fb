"""A paginator whose count stops at a cap, for lists that can grow past what anyone pages through.

Counting 30,000 rows to print "page 1 of 1,200" costs a scan of them all on every view; nobody
pages that far, they filter. So the count stops at `CappedPaginator.cap` rows (issue 10) and the
template says "more than …" (`paginator.capped`).
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import QuerySet


class CappedPaginator(Paginator):
    cap = 1000

    @cached_property
    def _counted(self) -> int:
        # A sliced queryset counts in a subquery with LIMIT: at most `cap` + 1 rows are read.
        head = self.object_list[: self.cap + 1]
        return head.count() if isinstance(head, QuerySet) else len(head)

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap
