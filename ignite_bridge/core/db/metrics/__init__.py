"""The bridge's PostgreSQL backend with django-prometheus's query metrics (``metrics/postgresql``)."""
