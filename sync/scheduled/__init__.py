"""Periodic and operator-requested checks: drift audits and their repairs, issue re-checks, retention.

Beat (``ignite_bridge/celery.py``) or an operator starts them; they read both sides and fix what
differs through the write path in ``sync.engine``.
"""
