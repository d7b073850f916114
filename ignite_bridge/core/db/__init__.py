"""The bridge's PostgreSQL database backends: Django's, with a health check that needs no round trip
while the connection is quiet (``ignite_bridge/core/db/health.py``); ``metrics.postgresql`` adds
django-prometheus's query metrics. Both engine paths end in ``postgresql``, as Django's own does.
``ignite_bridge.settings.operations.database_engine`` picks one."""
