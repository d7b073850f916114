"""Faults besides webhook delivery: SparkLayer answering 5xx/429 or dropping connections, full syncs
started at random moments through the Ignite trigger endpoint, and SIGKILLs of the worker."""

from __future__ import annotations

import random
import time
from typing import Any

import requests
from django.conf import settings
from django.test import Client

from tests.convergence.actionlog import ActionLog
from tests.convergence.environment import Environment

FULL_SYNC_TYPES = ("products", "products", "products", "customers", "purchases")


def ignite_client() -> Client:
    """Calls the Ignite endpoints as SparkLayer does (bearer token), in this process."""
    return Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Bearer {settings.IGNITE_API_TOKENS[0]}")


class Faults:
    def __init__(self, *, env: Environment, site_id: str, rng: random.Random, log: ActionLog) -> None:
        self.env = env
        self.site_id = site_id
        self.rng = rng
        self.log = log
        self.sparklayer_faulty = False
        self.kills = 0
        self.client = ignite_client()

    def _spark_faults(self, config: dict[str, Any]) -> None:
        assert self.env.spark is not None
        requests.put(f"{self.env.spark.url}/_sandbox/faults", json=config, timeout=10).raise_for_status()

    def sparklayer_on(self) -> None:
        config = {
            "error_500_rate": self.rng.choice([0.05, 0.1, 0.2, 0.3]),
            "error_429_rate": self.rng.choice([0.0, 0.05, 0.1]),
            "retry_after": "1",
            "drop_rate": self.rng.choice([0.0, 0.02, 0.05]),
            "seed": self.rng.randint(1, 10**6),
        }
        self._spark_faults(config)
        self.sparklayer_faulty = True
        self.log.add("sparklayer.faults_on", ", ".join(f"{k}={v}" for k, v in config.items() if k != "seed"))

    def sparklayer_off(self) -> None:
        self._spark_faults({})
        if self.sparklayer_faulty:
            self.log.add("sparklayer.faults_off")
        self.sparklayer_faulty = False

    def toggle_sparklayer(self) -> None:
        if self.sparklayer_faulty:
            self.sparklayer_off()
        else:
            self.sparklayer_on()

    def full_sync(self, data_type: str | None = None) -> int:
        """``POST /v1/test/<site>/status/<type>``: 201 queued, 400 when one is already queued or running."""
        chosen = data_type or self.rng.choice(FULL_SYNC_TYPES)
        response = self.client.post(f"/v1/test/{self.site_id}/status/{chosen}")
        detail = f"{chosen} -> {response.status_code}"
        if response.status_code == 201:
            detail += f" (job {response.json()['job_id']})"
        self.log.add("ignite.full_sync", detail)
        return int(response.status_code)

    def kill_worker(self) -> None:
        """SIGKILL the worker (its pool too), then start a new one after a moment; not waited for."""
        worker = self.env.worker
        assert worker is not None
        worker.kill()
        pause = self.rng.uniform(0.0, 1.5)
        self.kills += 1
        self.log.add("worker.sigkill", f"restart in {pause:.1f}s")
        time.sleep(pause)
        worker.start()
