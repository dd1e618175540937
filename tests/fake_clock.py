"""A clock for the polite HTTP clients' tests: time moves only when the code under test sleeps."""

from __future__ import annotations


class FakeTime:
    """``sleep`` and ``clock`` to hand to a client; ``sleeps`` records every pause it asked for."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now
