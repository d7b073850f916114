"""Sync jobs: queueing, claiming, running and ending a ``SyncJob`` (full syncs above all).

The only place that changes a job's state: everything else asks a service here (``jobs``,
``job_runs``, ``job_slots``, ``full_sync``), including what a connection's lifecycle or a settings
change queues or cancels.
"""
