"""What a seed did, in order: enough to read a divergence and to replay the seed.

Every choice of a walk comes from ``random.Random(seed)``, so ``bench/convergence.py --start SEED
--seeds 1`` makes the same changes and faults in the same order; the worker's timing is the only
thing a replay does not repeat.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entry:
    step: int
    at: float  # seconds since the seed started
    kind: str
    detail: str


@dataclass
class ActionLog:
    seed: int
    started: float = field(default_factory=time.monotonic)
    step: int = 0
    entries: list[Entry] = field(default_factory=list)

    def add(self, kind: str, detail: str = "") -> None:
        self.entries.append(Entry(self.step, round(time.monotonic() - self.started, 2), kind, detail))

    def render(self) -> str:
        lines = [f"action log of seed {self.seed} ({len(self.entries)} entries):"]
        lines += [f"  step {e.step:>3} +{e.at:6.2f}s  {e.kind:<22} {e.detail}" for e in self.entries]
        return "\n".join(lines)
