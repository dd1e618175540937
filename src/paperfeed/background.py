"""How a background task of the server (the indexer, the scheduler) lives with failures.

A task that fails must not take the server down, nor flood its log: the first failure is logged once
with its traceback and what happens next; the same failure again is logged on one line only when
the wait grows, at most every :data:`QUIET_FOR` seconds; the task then waits twice as long before
each new try (from its poll interval up to :data:`MAX_DELAY`), and says so once when it works again.
A different failure is news and is logged in full. The server keeps serving throughout.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_DELAY = 300.0
"""The longest wait between two tries of a failing task (seconds)."""
QUIET_FOR = 600.0
"""A repeated failure is logged again (one line) at most this often (seconds)."""


def _signature(exc: BaseException) -> str:
    """What makes two failures "the same": the kind of error and where it was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__qualname__}@{where}"


@dataclass(slots=True)
class Backoff:
    """The failure state of one background task (see the module docstring).

    ``clock`` is elapsed time (``time.monotonic``), never business time: tests hand in their own."""

    name: str
    log: logging.Logger
    base_delay: float
    max_delay: float = MAX_DELAY
    clock: Callable[[], float] = time.monotonic
    failures: int = 0
    delay: float = 0.0
    next_try: float = 0.0
    _signature: str | None = None
    _last_logged: float = field(default=-1e18)

    @property
    def failing(self) -> bool:
        return self.failures > 0

    def ready(self) -> bool:
        """Whether the task may run now (not failing, or its wait is over)."""
        return not self.failing or self.clock() >= self.next_try

    def failed(self, exc: BaseException) -> float:
        """Record a failure; log it as the module docstring says; the seconds to wait before the next try."""
        now = self.clock()
        self.failures += 1
        self.delay = min(self.base_delay * 2 ** (self.failures - 1), self.max_delay)
        self.next_try = now + self.delay
        signature = _signature(exc)
        if signature != self._signature:
            self._signature = signature
            self._last_logged = now
            self.log.error(
                "%s failed: %s: %s; the server keeps serving, and %s is tried again in %.0f s, "
                "then less and less often (at most every %.0f s) until it works",
                self.name,
                type(exc).__name__,
                exc,
                self.name,
                self.delay,
                self.max_delay,
                exc_info=exc,
            )
        elif now - self._last_logged >= QUIET_FOR:
            self._last_logged = now
            self.log.warning(
                "%s still failing (%d tries): %s: %s; next try in %.0f s",
                self.name,
                self.failures,
                type(exc).__name__,
                exc,
                self.delay,
            )
        return self.delay

    def succeeded(self) -> None:
        """Record a success: a task that was failing says once that it works again."""
        if self.failing:
            self.log.warning("%s works again after %d failed tries", self.name, self.failures)
        self.failures = 0
        self.delay = 0.0
        self._signature = None


def announce_thread_deaths(log: logging.Logger) -> None:
    """Make an exception that ends any background thread a logged error that says the server goes on
    without it (Python's default prints a traceback that names no consequence)."""
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "a thread"
        log.error(
            "background thread %s stopped: %s: %s; the server keeps serving without it (restart to resume)",
            name,
            args.exc_type.__name__,
            args.exc_value,
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback),  # type: ignore[arg-type]
        )
        if previous is not threading.__excepthook__ and previous is not hook:
            previous(args)

    threading.excepthook = hook
