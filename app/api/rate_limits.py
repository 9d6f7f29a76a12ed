"""Rate limits per API key and per anonymous client address, with the `limits` library.

Counts live in memory by default (one process), or in Redis when CATALOG_RATE_LIMIT_STORAGE
names one, so that every API process of a deployment shares them."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from app.api.errors import HttpRefusal
from app.services.access import Caller


class RateLimited(HttpRefusal):
    """Too many requests (429); `retry_after` is in whole seconds, at least 1."""

    def __init__(self, limit: str, retry_after: int) -> None:
        super().__init__(f"More than {limit} requests; wait {retry_after} s before the next one.")
        self.retry_after = retry_after


class RateLimiter:
    """Checks each request against its key's or its address's allowance.

    A sliding window counter: smooth at window edges like a moving window, but two counters per
    client rather than a timestamp per request, which matters in Redis."""

    def __init__(self, *, per_key: str, anonymous: str, storage: str) -> None:
        self._per_key = parse(per_key) if per_key else None
        self._anonymous = parse(anonymous) if anonymous else None
        self._limiter = SlidingWindowCounterRateLimiter(storage_from_string(storage))

    def check_key(self, caller: Caller) -> None:
        """Count a request made with a key; RateLimited beyond its allowance."""
        if self._per_key is not None and caller.key_id is not None:
            self._hit(self._per_key, "key", str(caller.key_id))

    def check_anonymous(self, address: str) -> None:
        """Count a request made without a (valid) key from a client address."""
        if self._anonymous is not None:
            self._hit(self._anonymous, "address", address)

    def _hit(self, item: RateLimitItem, kind: str, who: str) -> None:
        if self._limiter.hit(item, "catalog", kind, who):
            return
        stats = self._limiter.get_window_stats(item, "catalog", kind, who)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise RateLimited(str(item), retry_after)
