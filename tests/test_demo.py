"""The README's first command, in its bounded non-interactive mode, tells the truth."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EMBEDDED_OVERRIDES = ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CACHE_URL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("platform", ["woocommerce", "standard"])
def test_demo_summary_matches_the_sparklayer_sandbox(tmp_path, platform):
    env = {k: v for k, v in os.environ.items() if k not in EMBEDDED_OVERRIDES}
    env.update(DJANGO_SETTINGS_MODULE="ignite_bridge.settings.local", IGNITE_VAR_DIR=str(tmp_path / "var"))
    summary_path, state_path = tmp_path / "summary.json", tmp_path / "state.json"
    result = subprocess.run(
        [
            sys.executable, "manage.py", "demo", "--exit-after-sync", "--products", "40", "--changes", "3",
            "--port", str(free_port()), "--sparklayer-port", str(free_port()),
            "--woocommerce-port", str(free_port()), "--standard-port", str(free_port()), "--platform", platform,
            "--timeout", "240",
            "--summary-json", str(summary_path), "--state-dump", str(state_path),
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=420,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Summary" in result.stdout
    assert "Admin: http://127.0.0.1:" in result.stdout

    summary = json.loads(summary_path.read_text())
    state = json.loads(state_path.read_text())
    assert summary["records_synced"]["products"] == len(state["products"])
    assert summary["records_synced"]["customers"] == len(state["customers"])
    assert summary["records_synced"]["purchases"] == len(state["purchases"])
    assert summary["records_synced"]["products"] > 0
    errors_in_sync_logs = (
        sum(len(log.get("errors", [])) for log in state["sync_logs"].values())
        if isinstance(state["sync_logs"], dict)
        else sum(len(log.get("errors", [])) for log in state["sync_logs"])
    )
    assert summary["open_issues"] == errors_in_sync_logs
    assert all(job["state"] == "succeeded" for job in summary["jobs"].values()), (
        summary["jobs"],
        (tmp_path / "var" / "demo-logs" / "worker.log").read_text(errors="replace")[-6000:],
    )
