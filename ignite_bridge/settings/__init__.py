"""Settings, split by concern (``base``, ``celery``, ``ignite``) and by runtime (``local``, ``production``, ``test``).

``local`` is the embedded default (SQLite, a broker that needs no server); ``production`` refuses to
start without its secrets; ``test`` is what pytest uses (PostgreSQL and Redis when their URLs are set).
"""
