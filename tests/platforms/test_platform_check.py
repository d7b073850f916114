"""``manage.py platform_check``: passes on the sandbox and on the minimal example (a second, independent
implementation in plain standard-library Python), and fails with a precise message on each broken one."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import call_command

from platforms.standard import signatures
from sandbox.server import SandboxServer, serve_in_thread
from sandbox.standard import StandardSandbox

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "sandbox-token"


def check(url: str, *args: str, token: str = TOKEN) -> tuple[int, dict[str, Any]]:
    """Run the command with ``--json``; (exit status, the report)."""
    out = io.StringIO()
    try:
        call_command("platform_check", "--url", url, "--token", token, "--json", "--webhook-timeout", "5", *args,
                     stdout=out)  # fmt: skip
        status = 0
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    return status, json.loads(out.getvalue())


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"].split(" (")[0]: c for c in report["checks"]}


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = serve_in_thread(StandardSandbox(products=30, customers=15, orders=8, seed=5, sign_v1a=True))
    yield server
    server.stop()


def test_the_sandbox_conforms_with_both_signature_schemes(sandbox: SandboxServer) -> None:
    status, report = check(sandbox.url, "--webhook-public-key", str(sandbox.app.public_key))
    assert status == 0, [c for c in report["checks"] if c["status"] != "pass"]
    assert report["ok"] is True
    assert report["summary"] == {"pass": len(report["checks"]), "fail": 0, "warn": 0, "skip": 0}
    checks = by_name(report)
    assert "signatures v1, v1a: verified" in " ".join(checks["webhooks"]["notes"])
    assert all(call["ms"] >= 0 for c in report["checks"] for call in c["calls"])
    assert {row["endpoint"] for row in report["timing"]} >= {"GET /products", "POST /checkout/complete"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def minimal_platform() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "minimal_platform.py"), "--port", str(port), "--token", "minimal"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                requests.get(url, timeout=5)
                break
            except requests.RequestException:  # not up yet, or slow to answer its first request
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_minimal_example_conforms(minimal_platform: str) -> None:
    status, report = check(minimal_platform, token="minimal")
    assert status == 0, [c for c in report["checks"] if c["status"] == "fail"]
    checks = by_name(report)
    for name in ("listing: products", "stable cursor: orders", "webhooks", "checkout"):
        assert checks[name]["status"] == "pass", name
    assert checks["sub_accounts"]["status"] == "skip"  # a capability it leaves out is skipped, not failed


BROKEN = [
    ("schema", "listing: products", "GET /products page 1: data[0]: 'updated_at' is a required property"),
    ("schema", "listing: products", "GET /products page 1: data[0].variants[0].price: "),
    ("cursor", "stable cursor: customers", "existed for the whole walk were never returned"),
    ("ids", "ids: orders", "GET /orders/ids leaves out 1 listed records: 8"),
    ("signature", "webhooks", "the test delivery does not verify with the secret the checker subscribed with"),
    ("checkout", "checkout", "repeated with the same Idempotency-Key (cart platform-check-"),
]


@pytest.mark.parametrize(("broken", "name", "message"), BROKEN)
def test_a_broken_implementation_fails_with_a_precise_message(broken: str, name: str, message: str) -> None:
    server = serve_in_thread(StandardSandbox(products=30, customers=15, orders=8, seed=5, broken=[broken]))
    try:
        status, report = check(server.url)
    finally:
        server.stop()
    assert status == 1
    assert report["ok"] is False
    failed = {n: c for n, c in by_name(report).items() if c["status"] == "fail"}
    assert name in failed, sorted(failed)
    assert any(message in text for text in failed[name]["messages"]), failed[name]["messages"]


def test_the_text_report_names_each_check_and_the_verdict(sandbox: SandboxServer) -> None:
    out = io.StringIO()
    call_command("platform_check", "--url", sandbox.url, "--token", TOKEN, "--read-only", stdout=out)
    text = out.getvalue()
    assert "PASS  discovery (GET /)" in text
    assert "SKIP  checkout" in text  # --read-only: nothing written
    assert text.rstrip().splitlines()[-1].startswith("CONFORMS:")
    with sandbox.app.store.lock:
        assert sandbox.app.store.checkouts == {}
        assert sandbox.app.store.subscriptions == {}


def test_a_wrong_token_or_an_unreachable_platform_fails_discovery() -> None:
    server = serve_in_thread(StandardSandbox(products=3, customers=1, orders=1))
    try:
        status, report = check(server.url, token="wrong")
    finally:
        server.stop()
    assert status == 1
    assert [c["name"] for c in report["checks"]] == ["discovery (GET /)"]  # nothing else can be checked
    assert report["checks"][0]["messages"] == ["GET /: expected HTTP 200, got HTTP 401 (code unauthorized)"]
    status, report = check(f"http://127.0.0.1:{free_port()}")
    assert status == 1
    assert report["checks"][0]["messages"][0].startswith("GET /: expected HTTP 200, got no answer")


@pytest.mark.parametrize("tampered", [False, True])
def test_a_recorded_delivery_is_checked_as_a_signature_test_vector(tmp_path: Path, tampered: bool) -> None:
    secret = signatures.secret_for("a-secret-the-platform-was-given-0123456789")
    body = b'{"type":"order.updated","timestamp":"2025-01-02T03:04:05Z","data":{"id":"17"}}'
    headers = {"webhook-id": "msg_1", "webhook-timestamp": "1735787045",
               "webhook-signature": signatures.sign_v1(secret, "msg_1", "1735787045", body)}  # fmt: skip
    vector = tmp_path / "vector.json"
    sent = body.replace(b"17", b"18") if tampered else body
    vector.write_text(json.dumps({"secret": secret, "headers": headers, "body": sent.decode()}))
    server = serve_in_thread(StandardSandbox(products=3, customers=2, orders=1, capabilities=[]))
    try:
        status, report = check(server.url, "--signature-vector", str(vector), "--read-only")
    finally:
        server.stop()
    webhooks = by_name(report)["webhooks"]
    if tampered:
        assert (status, webhooks["status"]) == (1, "fail")
        assert webhooks["messages"] == [
            "the recorded delivery does not verify: no webhook-signature entry matches the body with a trusted key"
        ]
    else:
        assert (status, webhooks["status"]) == (0, "pass")
