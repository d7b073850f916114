"""Connect, activate and disconnect connections; check, replace and use their credentials.

The connections layer knows nothing of syncs: whatever must happen once a connection turns
active beyond the platform webhooks (queueing the full syncs) is passed in by the caller as
``on_activated`` and runs after the transaction commits, so a worker never sees a half-saved row.

A store URL handed over is checked with ``ensure_public_url`` (a clear error at once), and every
call to a store then passes the outbound client's own guard (``ignite_bridge/core/pinned.py``).
Every credential check happens *before* anything is written: a refused pair changes nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connections.clients import connection_platform_adapter, platform_adapter_for, sparklayer_client_for
from connections.errors import (
    ConnectInputInvalid,
    InstallCallbackInvalid,
    InstallStateInvalid,
    PlatformCredentialsRefused,
    SparkLayerCredentialsRefused,
    UpstreamUnavailable,
    WebhookRegistrationFailed,
)
from connections.install_state import (
    generate_secret,
    install_state_clear,
    install_state_matches,
    install_state_token,
)
from connections.models import Connection, ConnectionState
from connections.selectors import connection_syncs
from ignite_bridge.core.errors import IntegrationError, PermanentError, TransientError
from ignite_bridge.core.outbound import OutboundUrlRefused, ensure_public_url
from ignite_bridge.core.pinned import origin_of
from platforms.base import InstallFlow, Platform, WebhookSource, install_flow, platform_adapter_class
from platforms.types import DataType

logger = logging.getLogger(__name__)

#: a connect call waits on these checks, so they fail fast instead of retrying for a minute
CHECK_ATTEMPTS = 2

ActivationHook = Callable[[Connection], None]


@dataclass(frozen=True)
class ConnectOutcome:
    """What a connect call achieved: ``redirect_url`` is set while the platform install is pending."""

    connection: Connection
    redirect_url: str | None


@dataclass(frozen=True)
class CredentialsCheck:
    """Result of re-checking a connection's stored credentials ('' means that side is fine)."""

    sparklayer_error: str
    platform_error: str

    @property
    def ok(self) -> bool:
        return not self.sparklayer_error and not self.platform_error


# -- URLs the platform is given ---------------------------------------------------------------


def _public_base() -> str:
    return str(settings.IGNITE_PUBLIC_URL).rstrip("/")


def connection_webhook_delivery_url(connection: Connection) -> str:
    return f"{_public_base()}/webhooks/{connection.platform}/{connection.uuid}/"


def connection_install_callback_url(connection: Connection, *, state: str) -> str:
    return f"{_public_base()}/install/{connection.platform}/{connection.uuid}/callback?state={state}"


def connection_install_return_url(connection: Connection) -> str:
    return f"{_public_base()}/install/{connection.platform}/{connection.uuid}/return"


# -- checks (no writes) -----------------------------------------------------------------------


def _timed_out(exc: BaseException) -> bool:
    cause = exc.__cause__
    return isinstance(cause, requests.Timeout) or "Timeout" in str(exc)


def checked_store_url(store_url: str) -> str:
    """The store URL if the bridge may call it; ``ConnectInputInvalid`` naming ``extra_config.store_url``."""
    try:
        return ensure_public_url(store_url)
    except OutboundUrlRefused as exc:
        raise ConnectInputInvalid(f"store_url is refused: {exc}", field="extra_config.store_url") from exc


def sparklayer_credentials_check(*, site_env: str, site_id: str, client_id: str, client_secret: str) -> None:
    """Fetch one token (bypassing the cache); refused → ``SparkLayerCredentialsRefused``."""
    client = sparklayer_client_for(
        site_env=site_env,
        site_id=site_id,
        client_id=client_id,
        client_secret=client_secret,
        max_attempts=CHECK_ATTEMPTS,
        interactive=True,  # SparkLayer's connect call waits for it
    )
    try:
        client.fetch_token()
    except TransientError as exc:
        raise UpstreamUnavailable(
            "SparkLayer could not be reached to check the API credentials; nothing was changed.",
            service="sparklayer",
            timed_out=_timed_out(exc),
        ) from exc
    except PermanentError as exc:
        raise SparkLayerCredentialsRefused(
            f"SparkLayer refused the SparkLayer API client id/secret (spark_api_client_id, spark_api_client_secret) "
            f"for site {site_env}/{site_id}: no token was issued (HTTP {exc.status})."
        ) from exc


def platform_credentials_check(adapter: Platform, *, platform: str) -> None:
    """One cheap authenticated platform call; refused → ``PlatformCredentialsRefused``."""
    try:
        adapter.check_credentials()
    except TransientError as exc:
        raise UpstreamUnavailable(
            f"The {platform} store could not be reached to check its credentials; nothing was changed.",
            service="platform",
            timed_out=_timed_out(exc),
        ) from exc
    except PermanentError as exc:
        raise PlatformCredentialsRefused(
            f"The {platform} store refused the platform credentials (HTTP {exc.status or 'error'} on the check call).",
            field="extra_config",
        ) from exc


def _platform_inputs(extra_config: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    """(platform, checked store URL, credentials) from the connect call's ``extra_config``."""
    platform = str(extra_config.get("platform") or settings.IGNITE_DEFAULT_PLATFORM)
    try:
        adapter_class = platform_adapter_class(platform)
    except KeyError:
        raise ConnectInputInvalid(f"Unknown platform {platform!r}.", field="extra_config.platform") from None
    store_url = str(extra_config.get("store_url") or "").strip()
    if not store_url:
        raise ConnectInputInvalid("extra_config.store_url is required.", field="extra_config.store_url")
    try:
        credentials = adapter_class.credentials_from_extra_config(extra_config)
    except ValueError as exc:
        raise ConnectInputInvalid(str(exc), field="extra_config") from exc
    if not credentials and not issubclass(adapter_class, InstallFlow):
        raise ConnectInputInvalid(
            f"The {platform} platform has no app-authorisation flow: pass its credentials in extra_config.",
            field="extra_config",
        )
    return platform, checked_store_url(store_url), credentials


# -- connect / activate / disconnect ------------------------------------------------------------


def connection_connect(
    *,
    site_env: str,
    site_id: str,
    store_id: str,
    spark_client_id: str,
    spark_client_secret: str,
    extra_config: Mapping[str, Any],
    on_activated: ActivationHook | None = None,
    on_reconnect: ActivationHook | None = None,
) -> ConnectOutcome:
    """Idempotent upsert of the (site_env, site_id) connection (docs/ignite-contract.md §1.1).

    Checks the SparkLayer pair (one token fetch) and, when given, the platform credentials (one
    cheap call) before writing anything. Given valid platform credentials the connection turns
    active; otherwise it waits in ``pending`` with an install link (the same link on a repeat call
    while it is valid). Activation side effects (webhooks, ``on_activated``) run only when the
    connection *becomes* active or its platform credentials or store change, so a repeat call with
    the same body creates nothing new. A removed connection is reused with fresh secrets;
    ``on_reconnect`` runs first, in the same transaction, with the row still ``removed`` (the caller
    forgets what the bridge believed SparkLayer held: SparkLayer may have been wiped meanwhile).
    """
    platform, store_url, credentials = _platform_inputs(extra_config)
    sparklayer_credentials_check(
        site_env=site_env, site_id=site_id, client_id=spark_client_id, client_secret=spark_client_secret
    )
    if credentials:
        adapter = platform_adapter_for(platform=platform, store_url=store_url, credentials=credentials, inline=True)
        platform_credentials_check(adapter, platform=platform)
    storefront_secret = str(extra_config.get("storefront_jwt_secret") or "").strip()

    with transaction.atomic():
        connection, created = Connection.objects.select_for_update().get_or_create(
            site_env=site_env,
            site_id=site_id,
            defaults={"platform": platform, "store_id": store_id, "store_url": store_url},
        )
        store_changed = not created and (connection.platform != platform or connection.store_url != store_url)
        if connection.state == ConnectionState.REMOVED:
            if on_reconnect is not None:
                on_reconnect(connection)
            _reset_removed(connection)
        connection.platform, connection.store_id, connection.store_url = platform, store_id, store_url
        connection.spark_client_id, connection.spark_client_secret = spark_client_id, spark_client_secret
        if storefront_secret:
            connection.storefront_secret = storefront_secret
            connection.storefront_secret_revealable = False  # the caller knows it
        elif not connection.storefront_secret:
            connection.storefront_secret = generate_secret()
            connection.storefront_secret_revealable = True  # nobody knows it yet: the admin reveals it once
        if not connection.webhook_secret:
            connection.webhook_secret = generate_secret()

        activate = False
        redirect_url: str | None = None
        if credentials:
            stored = dict(connection.platform_credentials or {})
            activate = connection.state != ConnectionState.ACTIVE or store_changed or stored != credentials
            connection.platform_credentials = credentials
        elif not (connection.state == ConnectionState.ACTIVE and connection.platform_credentials and not store_changed):
            connection.platform_credentials = {}
            connection.state = ConnectionState.PENDING
            redirect_url = _install_link(connection)
        connection.save()
        if activate:
            connection_activate(connection=connection, on_activated=on_activated)
    logger.info(
        "connection connected",
        extra={"connection": connection.pk, "site": f"{site_env}/{site_id}", "state": connection.state},
    )
    return ConnectOutcome(connection=connection, redirect_url=redirect_url)


def _reset_removed(connection: Connection) -> None:
    """A removed connection connecting again: same row and uuid, fresh secrets, clean state."""
    connection.webhook_secret = generate_secret()
    connection.storefront_secret = ""
    connection.storefront_secret_revealable = False
    connection.platform_credentials = {}
    connection.webhook_ids = []
    connection.removed_at = None
    connection.state_reason = ""
    connection.state = ConnectionState.PENDING
    install_state_clear(connection)


def _install_link(connection: Connection) -> str:
    adapter = platform_adapter_for(platform=connection.platform, store_url=connection.store_url, credentials={})
    state = install_state_token(connection)
    return install_flow(adapter).authorization_url(
        callback_url=connection_install_callback_url(connection, state=state),
        return_url=connection_install_return_url(connection),
        state=state,
    )


def connection_activate(*, connection: Connection, on_activated: ActivationHook | None = None) -> Connection:
    """Mark the (locked, credentialed) connection active; after commit register webhooks, then ``on_activated``."""
    connection.state = ConnectionState.ACTIVE
    connection.activated_at = timezone.now()
    connection.removed_at = None
    connection.state_reason = ""
    install_state_clear(connection)
    connection.save()
    transaction.on_commit(partial(connection_after_activation, connection_id=connection.pk, on_activated=on_activated))
    return connection


def connection_after_activation(*, connection_id: int, on_activated: ActivationHook | None = None) -> None:
    """Runs after commit. A failure here never undoes the activation: it is logged and recorded."""
    connection = Connection.objects.filter(pk=connection_id, state=ConnectionState.ACTIVE).first()
    if connection is None:
        return
    # A failure is recorded on state_reason; the admin's "re-register webhooks" fixes it.
    with contextlib.suppress(WebhookRegistrationFailed):
        connection_webhooks_register(connection=connection)
    if on_activated is not None:
        try:
            on_activated(connection)
        except Exception:  # the connection stays active; the operator sees the log
            logger.exception("activation follow-up failed", extra={"connection": connection.pk})


def connection_webhook_data_types(connection: Connection) -> list[DataType]:
    """The data types whose platform webhooks the connection subscribes to (its sync scope)."""
    adapter_class = platform_adapter_class(connection.platform)
    return [t for t in adapter_class.data_types if connection_syncs(connection, t)]


def connection_webhooks_register(*, connection: Connection) -> list[str]:
    """Create (or reuse) the platform webhooks; store their ids. Failure → recorded, then raised."""
    try:
        checked_store_url(connection.store_url)
        adapter = connection_platform_adapter(connection)
        if not isinstance(adapter, WebhookSource):
            return []  # the platform sends no webhooks: catch-up and reconcile jobs find its changes
        registered = adapter.register_webhooks(
            delivery_url=connection_webhook_delivery_url(connection),
            secret=connection.webhook_secret,
            data_types=connection_webhook_data_types(connection),
        )
    except (IntegrationError, ConnectInputInvalid, ValueError) as exc:
        status = getattr(exc, "status", None)
        reason = (
            f"Webhook registration failed ({type(exc).__name__}{f', HTTP {status}' if status else ''}); "
            "use the admin action 're-register webhooks' once the store is reachable."
        )
        Connection.objects.filter(pk=connection.pk).update(state_reason=reason)
        connection.state_reason = reason
        logger.warning("webhook registration failed", extra={"connection": connection.pk, "error": type(exc).__name__})
        raise WebhookRegistrationFailed(reason) from exc
    ids = [hook.id for hook in registered]
    Connection.objects.filter(pk=connection.pk).update(webhook_ids=ids, state_reason="")
    connection.webhook_ids, connection.state_reason = ids, ""
    logger.info("webhooks registered", extra={"connection": connection.pk, "count": len(ids)})
    return ids


def connection_disconnect(*, connection: Connection) -> bool:
    """Unregister webhooks (best effort), erase every credential, mark removed (docs/ignite-contract.md §1.2).

    Sync history rows are left alone. Returns False when the connection was already removed."""
    if connection.state == ConnectionState.REMOVED:
        return False
    if connection.platform_credentials:
        try:
            checked_store_url(connection.store_url)
            adapter = connection_platform_adapter(connection, inline=True)
            if isinstance(adapter, WebhookSource):
                removed = adapter.unregister_webhooks(delivery_url=connection_webhook_delivery_url(connection))
                logger.info("webhooks unregistered", extra={"connection": connection.pk, "count": removed})
        except (IntegrationError, ConnectInputInvalid, ValueError) as exc:
            logger.warning(
                "could not unregister webhooks", extra={"connection": connection.pk, "error": type(exc).__name__}
            )
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        if locked.state == ConnectionState.REMOVED:
            return False
        locked.spark_client_id = locked.spark_client_secret = ""
        locked.webhook_secret = locked.storefront_secret = ""
        locked.storefront_secret_revealable = False
        locked.platform_credentials = {}
        locked.webhook_ids = []
        locked.state = ConnectionState.REMOVED
        locked.state_reason = ""
        locked.removed_at = timezone.now()
        install_state_clear(locked)
        locked.save()
    logger.info("connection removed", extra={"connection": connection.pk})
    return True


# -- the platform's install callback -----------------------------------------------------------


def connection_install_complete(
    *,
    connection: Connection,
    body: bytes,
    headers: Mapping[str, str],
    query_state: str,
    on_activated: ActivationHook | None = None,
) -> Connection:
    """Take the credentials a platform hands over, if the one-time state token is right; activate.

    Forged, replayed or expired tokens, a connection that is not pending, malformed bodies and
    refused credentials all change nothing. The token is cleared on success (one use only)."""
    adapter = platform_adapter_for(platform=connection.platform, store_url=connection.store_url, credentials={})
    if not isinstance(adapter, InstallFlow):
        raise InstallCallbackInvalid(f"The {connection.platform} platform has no app-authorisation flow.")
    try:
        result = adapter.parse_authorization_callback(body, headers)
    except ValueError as exc:
        raise InstallCallbackInvalid(str(exc)) from exc
    token = str(result.state)
    if not (query_state and token and query_state == token):
        raise InstallStateInvalid("The install state token is missing or does not match.")
    if connection.state != ConnectionState.PENDING or not install_state_matches(connection, token):
        raise InstallStateInvalid("The install state token is not valid (forged, already used or expired).")
    credentials = dict(result.credentials)
    store_url = checked_store_url(connection.store_url)
    checking = platform_adapter_for(
        platform=connection.platform, store_url=store_url, credentials=credentials, inline=True
    )
    platform_credentials_check(checking, platform=connection.platform)
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        if locked.state != ConnectionState.PENDING or not install_state_matches(locked, token):
            raise InstallStateInvalid("The install state token is not valid (forged, already used or expired).")
        locked.platform_credentials = credentials
        connection_activate(connection=locked, on_activated=on_activated)
    logger.info("connection installed", extra={"connection": locked.pk})
    return locked


# -- operator tools (admin) -----------------------------------------------------------------------

#: why a connection whose store moved is pending (shown in the admin)
STORE_MOVED_REASON = (
    "The store URL was changed to another origin, so the platform credentials of the old store were cleared: "
    "reconnect the store from SparkLayer (the platform's install flow) or enter new platform credentials."
)


def connection_store_url_change(
    *, connection: Connection, store_url: str, platform_credentials: Mapping[str, str] | None = None
) -> bool:
    """Point the connection at ``store_url``; returns True when the store moved to another origin.

    The platform credentials belong to the store they were issued by. When the new URL has another
    origin (scheme, host or port) they are never sent there: they are cleared with the webhook ids
    of the old store, and the connection waits in ``pending`` for the install flow, unless new
    credentials for the new store come with the change (``platform_credentials``). A change within
    the origin (a path) keeps everything. ``ConnectInputInvalid`` when the URL is refused."""
    checked = checked_store_url(store_url)
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        moved = origin_of(locked.store_url) != origin_of(checked)
        locked.store_url = checked
        if moved:
            locked.webhook_ids = []
            if platform_credentials:
                locked.platform_credentials = dict(platform_credentials)
            else:
                locked.platform_credentials = {}
                if locked.state != ConnectionState.REMOVED:
                    locked.state = ConnectionState.PENDING
                    locked.state_reason = STORE_MOVED_REASON
                install_state_clear(locked)
        locked.save()
    for name in ("store_url", "webhook_ids", "platform_credentials", "state", "state_reason"):
        setattr(connection, name, getattr(locked, name))
    logger.info("connection store url changed", extra={"connection": connection.pk, "moved": moved})
    return moved


def connection_credentials_verify(*, connection: Connection) -> CredentialsCheck:
    """Re-check the stored SparkLayer pair (token fetch) and platform credentials (one cheap call)."""
    spark_error = platform_error = ""
    try:
        sparklayer_credentials_check(
            site_env=connection.site_env,
            site_id=connection.site_id,
            client_id=connection.spark_client_id,
            client_secret=connection.spark_client_secret,
        )
    except (SparkLayerCredentialsRefused, UpstreamUnavailable) as exc:
        spark_error = exc.message
    if not connection.platform_credentials:
        platform_error = "No platform credentials are stored (the install has not completed)."
    else:
        try:
            checked_store_url(connection.store_url)
            adapter = connection_platform_adapter(connection, inline=True)
            platform_credentials_check(adapter, platform=connection.platform)
        except (PlatformCredentialsRefused, UpstreamUnavailable, ConnectInputInvalid) as exc:
            platform_error = exc.message
    return CredentialsCheck(sparklayer_error=spark_error, platform_error=platform_error)


def connection_credentials_replace(
    *,
    connection: Connection,
    spark_client_id: str = "",
    spark_client_secret: str = "",
    platform_credentials: Mapping[str, str] | None = None,
    storefront_secret: str = "",
) -> list[str]:
    """Replace the given (non-empty) credentials; returns the names of the fields replaced."""
    changes: dict[str, Any] = {}
    if spark_client_id:
        changes["spark_client_id"] = spark_client_id
    if spark_client_secret:
        changes["spark_client_secret"] = spark_client_secret
    if platform_credentials:
        changes["platform_credentials"] = dict(platform_credentials)
    if storefront_secret:
        changes["storefront_secret"] = storefront_secret
        changes["storefront_secret_revealable"] = False  # the operator who typed it knows it
    for name, value in changes.items():
        setattr(connection, name, value)
    if changes:
        connection.save(update_fields=[*changes, "updated_at"])
        logger.info("connection credentials replaced", extra={"connection": connection.pk, "fields": sorted(changes)})
    return sorted(name for name in changes if name != "storefront_secret_revealable")


def connection_storefront_secret_reveal(*, connection: Connection) -> str | None:
    """The storefront secret the bridge generated, once: None when it was revealed (or given) before.

    The flag is cleared in the same UPDATE that claims it, so two operators pressing "reveal" at
    once cannot both see it."""
    claimed = Connection.objects.filter(pk=connection.pk, storefront_secret_revealable=True).update(
        storefront_secret_revealable=False
    )
    if not claimed:
        return None
    connection.refresh_from_db(fields=["storefront_secret", "storefront_secret_revealable"])
    logger.info("storefront secret revealed", extra={"connection": connection.pk})
    return connection.storefront_secret or None


def connection_storefront_secret_rotate(*, connection: Connection) -> str:
    """Replace the storefront secret with a new generated one and return it (to be shown once).

    Tokens signed with the old secret are refused from now on: the store must be given the new one."""
    connection.storefront_secret = generate_secret()
    connection.storefront_secret_revealable = False
    connection.save(update_fields=["storefront_secret", "storefront_secret_revealable", "updated_at"])
    logger.info("storefront secret rotated", extra={"connection": connection.pk})
    return connection.storefront_secret
