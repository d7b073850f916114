"""docker-compose.yml cannot run on CI (no Docker engine), so check its shape."""

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text())


def test_every_service_has_an_image_and_a_command_or_healthcheck():
    services = COMPOSE["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name, service in services.items():
        assert service.get("image") or service.get("build"), name
        assert "healthcheck" in service, name
    for name in ("web", "worker", "beat"):
        assert services[name].get("command"), name


def test_web_worker_and_beat_share_image_and_environment():
    services = COMPOSE["services"]
    images = {repr(services[n].get("image")) + repr(services[n].get("build")) for n in ("web", "worker", "beat")}
    assert len(images) == 1
    envs = [services[n]["environment"] for n in ("web", "worker", "beat")]
    assert envs[0] == envs[1] == envs[2]
    assert "DJANGO_SETTINGS_MODULE" in envs[0]
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "worker" in " ".join(services["worker"]["command"])
    assert "beat" in " ".join(services["beat"]["command"])


def test_workers_scale_and_the_metrics_profile_scrapes_web_and_every_worker():
    services = COMPOSE["services"]
    worker = services["worker"]
    # `docker compose up --scale worker=3`: nothing that must be unique per container
    assert "container_name" not in worker
    assert "ports" not in worker
    env = services["web"]["environment"]
    assert env["PROMETHEUS_MULTIPROC_DIR"]
    assert env["METRICS_PORT"] == "9808"
    assert env["ALLOWED_HOSTS"].endswith(",web")
    assert "ignite_bridge.gunicorn_conf" in " ".join(services["web"]["command"])
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["metrics"]
    root = Path(__file__).resolve().parent.parent
    prometheus = yaml.safe_load((root / "docs/monitoring/prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    assert jobs["web"]["static_configs"][0]["targets"] == ["web:8000"]
    assert jobs["worker"]["dns_sd_configs"][0] == {"names": ["worker"], "type": "A", "port": 9808}
    for volume in services["prometheus"]["volumes"] + services["grafana"]["volumes"]:
        source = volume.split(":")[0]
        assert source.endswith("-data") or (root / source).exists(), volume


def test_the_dashboard_only_queries_metrics_the_bridge_exports():
    import json
    import re

    from ignite_bridge.core import metrics

    root = Path(__file__).resolve().parent.parent
    dashboard = json.loads((root / "docs/monitoring/grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    used = {name for expr in exprs for name in re.findall(r"\b(ignite_[a-z_]+)", expr)}
    source = (root / "ignite_bridge/core/metrics.py").read_text() + (root / "sync/metrics.py").read_text()
    source += (root / "ignite_bridge/core/queue_metrics.py").read_text()
    exported = set(re.findall(r'"(ignite_[a-z_]+)"', source))
    suffixes = ("_bucket", "_count", "_sum")
    assert used
    for name in used:
        base = next((name[: -len(s)] for s in suffixes if name.endswith(s)), name)
        assert name in exported or base in exported, name
    assert metrics.LAG_BUCKETS[0] < 2.0 < metrics.LAG_BUCKETS[-1]  # the 2 s lag target falls inside the buckets
