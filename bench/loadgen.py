"""A cheap open-loop HTTP/1.1 load generator for the benchmarks (no third-party client).

Requests are fired at fixed times ``t0 + i / rate`` whatever the answers (no coordinated omission):
each one takes an idle keep-alive connection from a pool or opens a new one, so a slow server can
never slow the arrivals. Latency is measured from each request's *scheduled* time, so queueing
counts. One asyncio loop on raw sockets costs a few tens of microseconds per request, where a
thread pool of ``requests`` sessions costs about a millisecond of the same two cores the server
under test needs.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Sample:
    index: int
    scheduled: float
    latency: float
    status: int
    body: bytes = b""
    error: str = ""


@dataclass
class Result:
    samples: list[Sample] = field(default_factory=list)
    connections_opened: int = 0

    def latencies(self) -> list[float]:
        return sorted(s.latency for s in self.samples)

    def summary(self) -> dict[str, object]:
        lat = self.latencies()
        bad = [s.status for s in self.samples if not 200 <= s.status < 300]
        return {
            "sent": len(self.samples),
            "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
            "p99_ms": round(percentile(lat, 99) * 1000, 1) if lat else None,
            "max_ms": round(lat[-1] * 1000, 1) if lat else None,
            "non_2xx": len(bad),
            "non_2xx_statuses": sorted(set(bad)),
            "errors": sorted({s.error for s in self.samples if s.error}),
            "connections_opened": self.connections_opened,
        }


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def build_request(method: str, path: str, host: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            data = await reader.readexactly(size + 2)
            if size == 0:
                break
            chunks.append(data[:-2])
        body = b"".join(chunks)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    keep = headers.get("connection", "").lower() != "close"
    return status, body, keep


async def _open_loop(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    rate: float,
    total: int,
    timeout: float,
    keep_bodies: bool,
) -> Result:
    result = Result()
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def fire(i: int, scheduled: float, payload: bytes) -> None:
        status = 0
        body = b""
        error = ""
        for _ in range(2):
            conn = idle.pop() if idle else None
            reused = conn is not None
            try:
                if conn is None:
                    conn = await asyncio.open_connection(host, port)
                    result.connections_opened += 1
                reader, writer = conn
                writer.write(payload)
                status, body, keep = await asyncio.wait_for(_read_response(reader), timeout)
                if keep:
                    idle.append(conn)
                else:
                    writer.close()
                break
            except asyncio.IncompleteReadError as exc:
                error = f"{type(exc).__name__} (reused={reused})"
                if conn is not None:
                    conn[1].close()
                # A keep-alive connection the server closed while it sat idle: try once more on a
                # new one, as HTTP clients do (nothing of the answer had arrived).
                if reused and not exc.partial:
                    continue
                break
            except ConnectionError as exc:  # reset or broken pipe: a reused connection gets a second try
                error = f"{type(exc).__name__} (reused={reused})"
                if conn is not None:
                    conn[1].close()
                if reused:
                    continue
                break
            except (TimeoutError, OSError, ValueError) as exc:
                error = f"{type(exc).__name__}: {exc} (reused={reused})"
                if conn is not None:
                    conn[1].close()
                break
        latency = time.perf_counter() - scheduled
        kept = body if keep_bodies else b""
        result.samples.append(Sample(i, scheduled, latency, status, kept, error if not status else ""))

    loop = asyncio.get_running_loop()
    tasks = []
    t0 = time.perf_counter() + 0.2
    for i in range(total):
        payload = make_request(i)  # built before its slot: the server is not charged for it
        scheduled = t0 + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(loop.create_task(fire(i, scheduled, payload)))
    await asyncio.gather(*tasks)
    for _, writer in idle:
        writer.close()
    return result


def open_loop(
    url_host: str,
    url_port: int,
    make_request: Callable[[int], bytes],
    *,
    rate: float,
    seconds: float,
    timeout: float = 60.0,
    keep_bodies: bool = False,
) -> Result:
    """Fire ``rate * seconds`` requests at a constant rate; ``make_request(i)`` returns raw request bytes."""
    total = int(rate * seconds)
    return asyncio.run(_open_loop(url_host, url_port, make_request, rate, total, timeout, keep_bodies))
