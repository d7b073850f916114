"""What the checker found: one result per check, the calls behind it, and a timing table."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from platforms.standard.conformance.probe import Call

PASS, FAIL, WARN, SKIP = "pass", "fail", "warn", "skip"
#: most messages kept per check (the rest are counted)
MAX_MESSAGES = 25


@dataclass
class CheckResult:
    name: str
    status: str = PASS
    messages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    dropped: int = 0
    #: kind of a repeated finding → (its message's position, the message, how many times it was found)
    repeats: dict[str, list[Any]] = field(default_factory=dict)

    def fail(self, message: str, *, kind: str = "") -> None:
        """A failure; findings of the same ``kind`` after the first are counted on the first one's line."""
        self.status = FAIL
        if kind and kind in self.repeats:
            entry = self.repeats[kind]
            entry[2] += 1
            if entry[0] is not None:
                self.messages[entry[0]] = f"{entry[1]} (and {entry[2] - 1} more like it)"
            return
        position = len(self.messages) if len(self.messages) < MAX_MESSAGES else None
        self._add(message)
        if kind:
            self.repeats[kind] = [position, message, 1]

    def warn(self, message: str) -> None:
        if self.status == PASS:
            self.status = WARN
        self._add(message)

    def skip(self, message: str) -> None:
        self.status = SKIP
        self._add(message)

    def note(self, message: str) -> None:
        self.notes.append(message)

    def _add(self, message: str) -> None:
        if len(self.messages) < MAX_MESSAGES:
            self.messages.append(message)
        else:
            self.dropped += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "messages": self.messages + ([f"... and {self.dropped} more"] if self.dropped else []),
            "notes": self.notes,
            "calls": [call.as_dict() for call in self.calls],
            "ms": round(sum(call.ms for call in self.calls), 1),
        }


@dataclass
class Report:
    url: str
    checks: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.status != FAIL for check in self.checks)

    def counts(self) -> dict[str, int]:
        return {status: sum(1 for c in self.checks if c.status == status) for status in (PASS, FAIL, WARN, SKIP)}

    def timing(self) -> list[dict[str, Any]]:
        by_route: dict[str, list[float]] = {}
        for check in self.checks:
            for call in check.calls:
                by_route.setdefault(call.route, []).append(call.ms)
        return [
            {
                "endpoint": route,
                "calls": len(times),
                "p50_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1),
            }
            for route, times in sorted(by_route.items())
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "ok": self.ok,
            "summary": self.counts(),
            "checks": [check.as_dict() for check in self.checks],
            "timing": self.timing(),
        }

    def as_text(self) -> str:
        lines = [f"Platform API conformance of {self.url}", ""]
        for check in self.checks:
            ms = sum(call.ms for call in check.calls)
            lines.append(f"{check.status.upper():<5} {check.name:<34} {len(check.calls):>3} calls {ms:>8.0f} ms")
            lines.extend(f"        - {message}" for message in check.messages)
            if check.dropped:
                lines.append(f"        - ... and {check.dropped} more")
            lines.extend(f"        · {note}" for note in check.notes)
        lines += ["", "Timing per endpoint:", f"  {'endpoint':<44} {'calls':>5} {'p50 ms':>8} {'max ms':>8}"]
        for row in self.timing():
            lines.append(f"  {row['endpoint']:<44} {row['calls']:>5} {row['p50_ms']:>8} {row['max_ms']:>8}")
        counts = self.counts()
        verdict = "CONFORMS" if self.ok else "DOES NOT CONFORM"
        lines += [
            "",
            f"{verdict}: {counts[PASS]} passed, {counts[FAIL]} failed, {counts[WARN]} with warnings, "
            f"{counts[SKIP]} skipped",
        ]
        return "\n".join(lines)
