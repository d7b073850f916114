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
