"""A paginator for queue pages of tables that grow without bound."""

from functools import cached_property

from django.core.paginator import Paginator


class CappedCountPaginator(Paginator):
    """Counts at most `count_cap` + 1 rows, so a queue page never scans a whole large table.

    Past the cap the admin shows "more than …" and the last pages are reached by filtering
    or searching, which is what an accountant does with thousands of waiting items anyway.
    """

    count_cap = 10_000

    @cached_property
    def count(self) -> int:
        # Only the keys: the list's money annotations would otherwise run inside the count.
        return self.object_list.values("pk")[: self.count_cap + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.count_cap
