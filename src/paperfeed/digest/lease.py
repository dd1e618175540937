"""A lease in the store held by this process, kept alive by a heartbeat thread.

Used by digest send runs (the lease says "my claims are alive") and by the scheduler (the lease says
"I am the one scheduler"). The heartbeat renews every third of the time-to-live; if a renewal fails
(the database is gone, or another holder took the lease after this process stalled for longer than
the time-to-live), ``lost`` is set and the holder must stop what the lease protects.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from paperfeed.clock import wall_now
from paperfeed.context import Paperfeed

log = logging.getLogger(__name__)


def holder_name() -> str:
    """Who holds a lease, for people reading the table: host, process, and a unique part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class HeldLease:
    """``try_acquire`` once; while held, a daemon thread renews it; ``release`` gives it back."""

    def __init__(self, app: Paperfeed, name: str, ttl: float, holder: str | None = None) -> None:
        self.app = app
        self.name = name
        self.ttl = ttl
        self.holder = holder or holder_name()
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def held(self) -> bool:
        return self._thread is not None and not self.lost.is_set()

    def try_acquire(self) -> bool:
        """Take the lease (``False`` while someone else holds it) and start the heartbeat."""
        if self.held:
            return True
        if not self.app.store.leases.acquire(self.name, self.holder, ttl_seconds=self.ttl, now=wall_now()):
            return False
        self.lost.clear()
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name=f"paperfeed-lease-{self.name}", daemon=True)
        self._thread.start()
        return True

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                renewed = self.app.store.leases.acquire(
                    self.name, self.holder, ttl_seconds=self.ttl, now=wall_now()
                )
            except Exception:
                log.exception("lease %s: renewal failed", self.name)
                renewed = False
            if not renewed:
                log.error("lease %s lost by %s: stopping what it protects", self.name, self.holder)
                self.lost.set()
                return

    def release(self) -> None:
        """Stop the heartbeat and give the lease back (it would expire by itself anyway)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()
            try:
                self.app.store.leases.release(self.name, self.holder)
            except Exception:
                log.exception("lease %s: could not release it; it expires in %.0f s", self.name, self.ttl)
