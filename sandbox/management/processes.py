"""The demo's child processes: free ports checked first, readiness that recognises our own servers, a quick
and quiet stop.

Readiness is never "something answers on the port": each server is asked a question only it answers
that way (``/healthz`` says ``{"status": "ok"}``, the sandboxes' control routes return their own JSON), and
a child that exited (gunicorn cannot bind a port another program holds) ends the wait at once.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

#: how long a child gets to stop after SIGTERM before it is killed (a worker needs ~3 s), so the demo stops in < 5 s
STOP_GRACE_SECONDS = 4.0


@dataclass(frozen=True)
class Port:
    number: int
    option: str  # the demo option choosing it, e.g. "--port"
    what: str  # who listens on it, e.g. "the bridge's web server"


class PortTaken(Exception):
    """One or more of the demo's ports is in use by another program."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """No program listens on ``port``. Connections of an earlier run still closing (TIME_WAIT) do not count:
    the servers bind with SO_REUSEADDR as the probe does."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def suggest_free_port(start: int, taken: set[int]) -> int:
    """The first free port above ``start`` not in ``taken`` (a suggestion, checked when the demo starts)."""
    port = start + 10
    while port < 65535 and (port in taken or not port_is_free(port)):
        port += 1
    return port


def ensure_ports_free(ports: list[Port]) -> None:
    """Raise ``PortTaken`` naming every taken port, the option that moves it, and a command line that works."""
    taken = [port for port in ports if not port_is_free(port.number)]
    if not taken:
        return
    used = {port.number for port in ports}
    suggestion = []
    for port in ports:
        number = port.number
        if port in taken:
            number = suggest_free_port(port.number, used)
            used.add(number)
        suggestion.append(f"{port.option} {number}")
    lines = [f"Port {port.number} ({port.what}) is taken by another program." for port in taken]
    lines.append(f"Stop that program, or choose other ports: scripts/demo {' '.join(suggestion)}")
    raise PortTaken("\n".join(lines))


def json_answer(url: str, accept: Callable[[Any], bool]) -> bool:
    """True when ``url`` answers 200 with JSON that ``accept`` recognises (not merely any answer)."""
    try:
        response = requests.get(url, timeout=2)
    except requests.RequestException:
        return False
    if response.status_code != 200:
        return False
    try:
        return bool(accept(response.json()))
    except ValueError:
        return False


def is_bridge_health(body: Any) -> bool:
    return body == {"status": "ok"}


def is_sparklayer_sandbox_stats(body: Any) -> bool:
    return isinstance(body, dict) and {"total", "by_kind", "by_route"} <= set(body)


def is_woocommerce_sandbox_state(body: Any) -> bool:
    return isinstance(body, dict) and {"summary", "webhooks", "delivery"} <= set(body)


def is_standard_sandbox_state(body: Any) -> bool:
    return isinstance(body, dict) and {"counts", "capabilities", "subscriptions"} <= set(body)


class Children:
    """Processes the demo started, each with its log file, in their own session (Ctrl-C reaches the demo only)."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def spawn(self, name: str, args: list[str], env: Mapping[str, str], cwd: Path) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab")
        child = subprocess.Popen(
            [sys.executable, *args], cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.started.append((name, child))
        return child

    def exited(self) -> list[str]:
        return [name for name, child in self.started if child.poll() is not None]

    def all_running(self) -> bool:
        return not self.exited()

    def stop(self) -> None:
        """SIGTERM to each main process (not its group: a worker reports pool children signalled behind
        its back as errors), then SIGKILL to the group of whatever is still running after the grace."""
        for _name, child in reversed(self.started):
            if child.poll() is None:
                os.kill(child.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for _name, child in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(deadline - time.monotonic(), 0.01))
        for _name, child in self.started:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait(timeout=5)
        self.started.clear()
