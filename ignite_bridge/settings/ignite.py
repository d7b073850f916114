"""Settings of the bridge itself: Ignite auth, SparkLayer, platforms, sync tuning."""

from ignite_bridge.settings.env import env

#: bearer tokens SparkLayer may use on the Ignite endpoints; several at once so one can rotate
IGNITE_API_TOKENS = env.list("IGNITE_API_TOKENS", default=[])
#: optional CIDR allow-list of Ignite callers (empty: any address)
IGNITE_ALLOWED_IPS = env.list("IGNITE_ALLOWED_IPS", default=[])
#: Fernet keys for credentials at rest; the first encrypts, all decrypt (rotation)
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

SPARKLAYER_URL_LIVE = env.str("SPARKLAYER_URL_LIVE", default="https://app.sparklayer.io")
SPARKLAYER_URL_TEST = env.str("SPARKLAYER_URL_TEST", default="https://test.app.sparklayer.io")
#: the bridge's slug in SparkLayer's sync-log paths
SPARKLAYER_INTEGRATION_SLUG = env.str("SPARKLAYER_INTEGRATION_SLUG", default="ignite-bridge")

IGNITE_DEFAULT_PLATFORM = env.str("IGNITE_DEFAULT_PLATFORM", default="woocommerce")
#: the bridge's own external base URL (webhook delivery and install-callback URLs are built on it)
IGNITE_PUBLIC_URL = env.str("IGNITE_PUBLIC_URL", default="http://127.0.0.1:8000")
#: store hosts allowed although they are loopback/private or plain http (sandbox, tests)
IGNITE_ALLOWED_PLATFORM_HOSTS = env.list("IGNITE_ALLOWED_PLATFORM_HOSTS", default=[])

#: largest webhook body accepted (bytes); larger deliveries get 413 and are not stored
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=2 * 1024 * 1024)
#: events left "received" longer than this are re-enqueued by the sweeper
WEBHOOK_SWEEP_GRACE_SECONDS = env.int("WEBHOOK_SWEEP_GRACE_SECONDS", default=30)
#: how often the catch-up of missed webhooks runs per connection (seconds)
CATCH_UP_INTERVAL_SECONDS = env.int("CATCH_UP_INTERVAL_SECONDS", default=15 * 60)
#: how often deletions are reconciled and webhooks health-checked (seconds)
RECONCILE_INTERVAL_SECONDS = env.int("RECONCILE_INTERVAL_SECONDS", default=24 * 3600)

#: timeouts for calls made while a shopper waits (verify, customers, checkout)
PLATFORM_INLINE_CONNECT_TIMEOUT = env.float("PLATFORM_INLINE_CONNECT_TIMEOUT", default=2.0)
PLATFORM_INLINE_READ_TIMEOUT = env.float("PLATFORM_INLINE_READ_TIMEOUT", default=8.0)
#: timeouts for background calls (syncs)
PLATFORM_CONNECT_TIMEOUT = env.float("PLATFORM_CONNECT_TIMEOUT", default=5.0)
PLATFORM_READ_TIMEOUT = env.float("PLATFORM_READ_TIMEOUT", default=30.0)
SPARKLAYER_CONNECT_TIMEOUT = env.float("SPARKLAYER_CONNECT_TIMEOUT", default=5.0)
SPARKLAYER_READ_TIMEOUT = env.float("SPARKLAYER_READ_TIMEOUT", default=30.0)
#: a Retry-After longer than this is not slept inside a request: the task is rescheduled
SPARKLAYER_RETRY_AFTER_CEILING = env.float("SPARKLAYER_RETRY_AFTER_CEILING", default=30.0)
