"""Settings of the bridge itself: Ignite auth, SparkLayer, platforms, sync tuning."""

from ignite_bridge.settings.env import env

#: bearer tokens SparkLayer may use on the Ignite endpoints; several at once so one can rotate
IGNITE_API_TOKENS = env.list("IGNITE_API_TOKENS", default=[])
#: optional CIDR allow-list of Ignite callers (empty: any address)
IGNITE_ALLOWED_IPS = env.list("IGNITE_ALLOWED_IPS", default=[])
#: reverse proxies in front of gunicorn that set X-Forwarded-For/-Proto (0: none, the headers are ignored)
TRUSTED_PROXY_HOPS = env.int("TRUSTED_PROXY_HOPS", default=0)
#: Fernet keys for credentials at rest; the first encrypts, all decrypt (rotation)
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

SPARKLAYER_URL_LIVE = env.str("SPARKLAYER_URL_LIVE", default="https://app.sparklayer.io")
SPARKLAYER_URL_TEST = env.str("SPARKLAYER_URL_TEST", default="https://test.app.sparklayer.io")
#: the bridge's slug in SparkLayer's sync-log paths
SPARKLAYER_INTEGRATION_SLUG = env.str("SPARKLAYER_INTEGRATION_SLUG", default="ignite-bridge")

IGNITE_DEFAULT_PLATFORM = env.str("IGNITE_DEFAULT_PLATFORM", default="woocommerce")
#: platform adapters this deployment runs, as dotted paths to their classes (empty: every adapter
#: the repository ships, ``platforms.base.DEFAULT_PLATFORMS``)
IGNITE_PLATFORMS = env.list("IGNITE_PLATFORMS", default=[])
#: the bridge's own external base URL (webhook delivery and install-callback URLs are built on it)
IGNITE_PUBLIC_URL = env.str("IGNITE_PUBLIC_URL", default="http://127.0.0.1:8000")
#: store hosts allowed although they are loopback/private or plain http (sandbox, tests)
IGNITE_ALLOWED_PLATFORM_HOSTS = env.list("IGNITE_ALLOWED_PLATFORM_HOSTS", default=[])

#: largest body accepted on the Ignite endpoints and the install callback (bytes); larger ones get 413
IGNITE_MAX_BODY_BYTES = env.int("IGNITE_MAX_BODY_BYTES", default=1024 * 1024)
#: largest webhook body accepted (bytes); larger deliveries get 413 and are not stored
WEBHOOK_MAX_BODY_BYTES = env.int("WEBHOOK_MAX_BODY_BYTES", default=2 * 1024 * 1024)
#: how long a web process keeps a webhook URL's connection (seconds; 0 = look it up per delivery). A
#: removed connection is still refused at once, and a changed secret is re-read on the first mismatch.
WEBHOOK_CONNECTION_CACHE_SECONDS = env.float("WEBHOOK_CONNECTION_CACHE_SECONDS", default=60.0)
#: a delivery repeating a stored one (same dedupe key) is recognised for this long; later it is a new change
WEBHOOK_DEDUPE_WINDOW_SECONDS = env.int("WEBHOOK_DEDUPE_WINDOW_SECONDS", default=24 * 3600)
#: events left "received" longer than this are re-enqueued by the sweeper
WEBHOOK_SWEEP_GRACE_SECONDS = env.int("WEBHOOK_SWEEP_GRACE_SECONDS", default=30)
#: most processing attempts of one webhook event before it is left "failed" (replayable from the admin)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=10)
#: retries stop once this many seconds have passed since the event's first attempt (a few minutes, so
#: "SparkLayer down for a minute" recovers by itself but a long outage ends in "failed")
WEBHOOK_RETRY_BUDGET_SECONDS = env.int("WEBHOOK_RETRY_BUDGET_SECONDS", default=15 * 60)
#: backoff of event retries: base * 2**(attempt-1), capped, with jitter (seconds)
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=2.0)
WEBHOOK_RETRY_MAX_DELAY_SECONDS = env.float("WEBHOOK_RETRY_MAX_DELAY_SECONDS", default=120.0)
#: waits up to this long are held by the broker (countdown); longer ones are stored as next_attempt_at
#: and sent by the sweeper, so the broker never holds a message for long
WEBHOOK_RETRY_COUNTDOWN_MAX_SECONDS = env.float("WEBHOOK_RETRY_COUNTDOWN_MAX_SECONDS", default=60.0)
#: an event "processing" for longer than this lost its worker (killed): the sweeper queues it again
WEBHOOK_PROCESSING_TIMEOUT_SECONDS = env.int("WEBHOOK_PROCESSING_TIMEOUT_SECONDS", default=300)
#: under a burst, at most one processing task per connection is sent in this window (milliseconds);
#: each task goes on with the connection's other waiting events. 0 sends one task per event.
WEBHOOK_NUDGE_WINDOW_MS = env.int("WEBHOOK_NUDGE_WINDOW_MS", default=50)
#: a processing task handles its connection's waiting events for at most this long, then hands on
WEBHOOK_FOLLOW_ON_SECONDS = env.float("WEBHOOK_FOLLOW_ON_SECONDS", default=20.0)
#: catch-up reads records modified since the last one minus this overlap (clock skew, in-flight writes)
CATCH_UP_OVERLAP_SECONDS = env.int("CATCH_UP_OVERLAP_SECONDS", default=10)
#: how often the catch-up of missed webhooks runs per connection (seconds)
CATCH_UP_INTERVAL_SECONDS = env.int("CATCH_UP_INTERVAL_SECONDS", default=15 * 60)
#: how often deletions are reconciled and webhooks health-checked (seconds)
RECONCILE_INTERVAL_SECONDS = env.int("RECONCILE_INTERVAL_SECONDS", default=24 * 3600)

#: longest validity a storefront login token may have (its exp at most this far after iat and now)
STOREFRONT_JWT_MAX_LIFETIME_SECONDS = env.int("STOREFRONT_JWT_MAX_LIFETIME_SECONDS", default=3600)

#: timeouts for calls made while a shopper waits (verify, customers, checkout)
PLATFORM_INLINE_CONNECT_TIMEOUT = env.float("PLATFORM_INLINE_CONNECT_TIMEOUT", default=2.0)
PLATFORM_INLINE_READ_TIMEOUT = env.float("PLATFORM_INLINE_READ_TIMEOUT", default=8.0)
#: most reads a full sync makes of one store at once; it starts at 2 and adapts between 1 and this
#: (``platforms/concurrency.py``); a connection's ``platform_max_concurrency`` overrides it
PLATFORM_MAX_CONCURRENCY = env.int("PLATFORM_MAX_CONCURRENCY", default=4)
#: timeouts for background calls (syncs)
PLATFORM_CONNECT_TIMEOUT = env.float("PLATFORM_CONNECT_TIMEOUT", default=5.0)
PLATFORM_READ_TIMEOUT = env.float("PLATFORM_READ_TIMEOUT", default=30.0)
SPARKLAYER_CONNECT_TIMEOUT = env.float("SPARKLAYER_CONNECT_TIMEOUT", default=5.0)
SPARKLAYER_READ_TIMEOUT = env.float("SPARKLAYER_READ_TIMEOUT", default=30.0)
#: plain calls (SparkLayer's, and the stores' through the same address guard) go through libcurl, a
#: quarter of requests' CPU a call (``ignite_bridge/core/curl.py``); false: through requests' adapter
OUTBOUND_CURL = env.bool("OUTBOUND_CURL", default=True)
#: a Retry-After longer than this is not slept inside a request: the task is rescheduled
SPARKLAYER_RETRY_AFTER_CEILING = env.float("SPARKLAYER_RETRY_AFTER_CEILING", default=30.0)
#: how long a platform install (app authorisation) link stays valid; a repeat connect within it returns the same link
IGNITE_INSTALL_STATE_TTL_SECONDS = env.int("IGNITE_INSTALL_STATE_TTL_SECONDS", default=3600)

# -- full sync engine -------------------------------------------------------------------------
#: how often (seconds) a push saves the writes SparkLayer accepted; a killed worker re-pushes at most this much
SYNC_STATE_FLUSH_SECONDS = env.float("SYNC_STATE_FLUSH_SECONDS", default=0.25)
#: pages of a full sync pushed at once: the next page's reads and writes run while a page's tail (its last rows,
#: issues, checkpoint) completes; checkpoints stay in page order (``sync/jobs/page_chain.py``); 1 = one at a time
SYNC_PAGES_IN_FLIGHT = env.int("SYNC_PAGES_IN_FLIGHT", default=2)
#: a running job whose heartbeat is older than this is taken to have lost its worker and is requeued
SYNC_JOB_STALE_SECONDS = env.int("SYNC_JOB_STALE_SECONDS", default=300)
#: a queued job untouched this long is re-sent to the broker (its message may be lost)
SYNC_JOB_QUEUED_GRACE_SECONDS = env.int("SYNC_JOB_QUEUED_GRACE_SECONDS", default=300)
#: transient failures in a row without a new checkpoint before a job is failed
SYNC_JOB_MAX_STALLED_RETRIES = env.int("SYNC_JOB_MAX_STALLED_RETRIES", default=10)
#: transient failures of one job in all (with progress between them) before it is failed
SYNC_JOB_MAX_RETRIES = env.int("SYNC_JOB_MAX_RETRIES", default=100)
#: backoff of a rescheduled job: base * 2**n, capped, plus jitter (never above the broker visibility timeout)
SYNC_JOB_RETRY_BASE_SECONDS = env.float("SYNC_JOB_RETRY_BASE_SECONDS", default=5.0)
SYNC_JOB_RETRY_MAX_SECONDS = env.float("SYNC_JOB_RETRY_MAX_SECONDS", default=600.0)
#: keep what each SparkLayer write sent (as sent up to 4 KB of JSON, else flattened to at most 300 fields; ~1.5 KB a
#: product) on its PushLog row, so the record timeline can show which fields changed between two writes
SYNC_PUSH_LOG_PAYLOADS = env.bool("SYNC_PUSH_LOG_PAYLOADS", default=True)
#: how long a pull cursor handed to SparkLayer stays valid (seconds)
SYNC_PULL_CURSOR_MAX_AGE_SECONDS = env.int("SYNC_PULL_CURSOR_MAX_AGE_SECONDS", default=24 * 3600)

# -- operator console ---------------------------------------------------------------------------
#: writes failing (webhook events or full syncs waiting to retry) for longer than this turn a
#: connection's light red in the console; before that it is amber ("retrying")
IGNITE_HEALTH_RED_AFTER_SECONDS = env.int("IGNITE_HEALTH_RED_AFTER_SECONDS", default=60)

# -- drift audit --------------------------------------------------------------------------------
#: records per connection and data type the scheduled audit compares with SparkLayer (0: no scheduled audit)
AUDIT_SAMPLE_SIZE = env.int("AUDIT_SAMPLE_SIZE", default=200)
#: how often each connection's products and customers get a sampled audit (seconds; 0: never)
AUDIT_INTERVAL_SECONDS = env.int("AUDIT_INTERVAL_SECONDS", default=24 * 3600)
