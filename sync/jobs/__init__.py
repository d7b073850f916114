"""Sync jobs: queueing, claiming, running and ending a ``SyncJob``.

The only place that changes a job's state (``tests/test_layout.py`` checks it): ``jobs`` queues,
cancels and re-runs full syncs, ``job_runs`` and ``job_slots`` claim and pace their runs,
``full_sync`` runs one, ``sweep`` makes lost ones end, ``partial_jobs`` records catch-up and
reconcile jobs; ``connection_lifecycle``, ``settings_changes`` and ``sync_reset`` are what a
connection's lifecycle or a settings change queues or cancels.
"""
