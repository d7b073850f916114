"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import logging

from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from ignite_bridge.core.problems import problem_response

logger = logging.getLogger(__name__)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving requests; checks nothing else."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return f"database unreachable: {type(exc).__name__}"
    return None


def _check_broker() -> str | None:
    from ignite_bridge.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        return f"broker unreachable: {type(exc).__name__}"
    return None


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic: the database and the broker answer. 503 problem otherwise."""
    failures = [f for f in (_check_database(), _check_broker()) if f]
    if failures:
        logger.warning("not ready", extra={"failures": failures})
        return problem_response(503, title="Not ready", detail="; ".join(failures), headers={"Retry-After": "5"})
    return JsonResponse({"status": "ready", "database": "ok", "broker": "ok"})
