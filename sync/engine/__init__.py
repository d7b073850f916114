"""The per-record write path every writer shares: plans, pushes, hashes, record states and locks, issues.

Full syncs, webhook processing, catch-up, reconcile, re-checks and repairs all bring SparkLayer to a
record through ``push.sync_records_push``; the rest of this package is what it is built from (see
``docs/sync-design.md``). Nothing here imports the flows that call it.
"""
