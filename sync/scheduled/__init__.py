"""Periodic and operator-requested checks: drift audits and their repairs, issue re-checks, retention.

Beat (``ignite_bridge/celery.py``) or an operator starts them. Audits and re-checks read both sides
and repair what differs through the write path in ``sync.engine``; retention prunes old rows, walking
its tables with the raw-SQL reads in ``sql``.
"""
