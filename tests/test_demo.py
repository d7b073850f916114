"""The README's first command, in its bounded non-interactive mode, tells the truth."""

import json
import re
import socket
import subprocess
import sys

import pytest

from tests.processes import ROOT, embedded_environment, free_port

#: log lines a newcomer must never see from a normal run and a normal stop
ALARMING = re.compile(r"ERROR|Traceback|database is locked|No hostname was supplied")


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("platform", ["woocommerce", "standard"])
def test_demo_summary_matches_the_sparklayer_sandbox(tmp_path, platform):
    env = embedded_environment(tmp_path / "var")
    summary_path, state_path = tmp_path / "summary.json", tmp_path / "state.json"
    sparklayer_port = free_port()
    result = subprocess.run(
        [
            sys.executable, "manage.py", "demo", "--exit-after-sync", "--products", "40", "--changes", "3",
            "--port", str(free_port()), "--sparklayer-port", str(sparklayer_port),
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

    stopped = re.search(r"Stopped everything the demo started \((\d+\.\d) s\)", result.stdout)
    assert stopped, result.stdout[-500:]
    assert float(stopped.group(1)) < 5.0
    for log in (tmp_path / "var" / "demo-logs").glob("*.log"):
        alarming = [line for line in log.read_text(errors="replace").splitlines() if ALARMING.search(line)]
        assert not alarming, (log.name, alarming[:5])
    assert "No hostname was supplied" not in result.stdout + result.stderr
    demo_env = (tmp_path / "var" / "demo.env").read_text()
    assert f"SPARKLAYER_URL_TEST=http://127.0.0.1:{sparklayer_port}" in demo_env

    # After the demo: sync_run uses the demo's SparkLayer, and says why it cannot reach it now.
    after = subprocess.run(
        [sys.executable, "manage.py", "sync_run", "demo-store", "products"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert after.returncode == 1
    assert (
        f"SparkLayer (test sites) at http://127.0.0.1:{sparklayer_port} (SPARKLAYER_URL_TEST, set by manage.py demo"
        in after.stderr
    )
    assert "cannot be reached" in after.stderr
    assert "Is the demo still running?" in after.stderr
    assert "Traceback" not in after.stderr


def test_demo_with_a_taken_port_names_it_and_how_to_choose_others(tmp_path):
    with socket.socket() as other_program:
        other_program.bind(("127.0.0.1", 0))
        other_program.listen()
        taken = other_program.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "manage.py", "demo", "--port", str(taken), "--sparklayer-port", str(free_port()),
             "--woocommerce-port", str(free_port())],
            cwd=ROOT, env=embedded_environment(tmp_path / "var"), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"Port {taken} (the bridge's web server) is taken by another program." in result.stderr
    suggested = re.search(r"choose other ports: scripts/demo --port (\d+) --sparklayer-port", result.stderr)
    assert suggested, result.stderr
    assert int(suggested.group(1)) != taken
    assert not (tmp_path / "var" / "demo-logs").exists()  # nothing was started
