"""A sliding-window limit on failed sign-ins, per user name and per address.

Kept in this process's memory: with several web workers each keeps its own window, so the
effective limit is the worker count times this one.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class FailureLimiter:
    """Counts failures per key within `window` seconds and blocks after `limit` of them."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._failures: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again (0: now)."""
        with self._lock:
            times = self._prune(key)
            if len(times) < self.limit:
                return 0
            return int(times[0] + self.window - time.monotonic()) + 1

    def failed(self, key: str) -> None:
        """Record one failure for `key`."""
        with self._lock:
            self._prune(key).append(time.monotonic())

    def succeeded(self, key: str) -> None:
        """Forget `key`'s failures."""
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, key: str) -> deque[float]:
        times = self._failures[key]
        while times and times[0] <= time.monotonic() - self.window:
            times.popleft()
        return times
