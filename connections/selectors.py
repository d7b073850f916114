"""Reads of connections: by site (the Ignite endpoints), by uuid (platform callbacks), by operator (admin)."""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from connections.models import Connection, ConnectionState, CustomerSyncScope
from connections.sql import connection_get_raw
from platforms.types import DataType


def connection_syncs(connection: Connection, data_type: DataType | str) -> bool:
    """Whether the connection syncs this data type at all: ``customer_sync_scope=none`` leaves
    customers (and their groups) out of every path (full sync, webhooks, catch-up, pull, fetch,
    webhook topics)."""
    customers = str(data_type) in (DataType.CUSTOMERS, DataType.CUSTOMER_GROUPS)
    return not (customers and connection.customer_sync_scope == CustomerSyncScope.NONE)


def connections_visible_to(user: Any) -> QuerySet[Connection]:
    """The connections an admin user may see: all for superusers, assigned ones for other staff, none else.

    Every admin of a per-connection model scopes its queryset through this (``connection__in=``)."""
    if user is None or not getattr(user, "is_active", False) or not getattr(user, "is_authenticated", False):
        return Connection.objects.none()
    if user.is_superuser:
        return Connection.objects.all()
    if not user.is_staff:
        return Connection.objects.none()
    return Connection.objects.filter(operators=user).distinct()


def connection_is_visible_to(user: Any, connection: Connection) -> bool:
    return connections_visible_to(user).filter(pk=connection.pk).exists()


def connection_get_for_site(*, site_env: str, site_id: str) -> Connection | None:
    """The connection of one SparkLayer site, in any state (None when it never connected)."""
    return Connection.objects.filter(site_env=site_env, site_id=site_id).first()


def connection_get_by_uuid(*, connection_uuid: str, platform: str) -> Connection | None:
    """The connection a platform callback URL names; None for a malformed or unknown uuid."""
    try:
        parsed = uuid_module.UUID(str(connection_uuid))
    except ValueError:
        return None
    return Connection.objects.filter(uuid=parsed, platform=platform).first()


def connection_get_active_or_404(*, site_env: str, site_id: str, defer: Iterable[str] = ()) -> Connection:
    """The active connection of a SparkLayer site; ``Http404`` (a 404 problem) for an unknown or inactive one.

    Every customer request takes this path while a shopper waits: one raw query on the unique
    (site_env, site_id) (``connections.sql.connection_get_raw``); ``defer`` leaves out columns the
    caller does not use."""
    connection = connection_get_raw(where={"site_env": site_env, "site_id": site_id}, defer=defer)
    if connection is None or connection.state != ConnectionState.ACTIVE:
        raise Http404(f"No active connection for {site_env}/{site_id}.")
    return connection


def active_connections_due(*, last_run_field: str, interval_seconds: float, now: datetime) -> list[int]:
    """Ids of active connections whose ``last_run_field`` is unset or older than ``interval_seconds``
    (the periodic catch-up and reconcile each keep their own timestamp on the connection)."""
    cutoff = now - timedelta(seconds=interval_seconds)
    return list(
        Connection.objects.filter(state=ConnectionState.ACTIVE)
        .filter(Q(**{f"{last_run_field}__isnull": True}) | Q(**{f"{last_run_field}__lt": cutoff}))
        .values_list("pk", flat=True)
    )
