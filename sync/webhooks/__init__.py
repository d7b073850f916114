"""Incremental sync driven by platform webhooks: intake, processing, sweeper, replay, catch-up, reconcile.

* ``intake``: the plain Django view that verifies a delivery on its raw body and stores it.
* ``enqueue``: sends a stored event to the ``webhooks`` queue (after commit).
* ``processing``: coalesces the pending events of one record, fetches the record fresh, pushes it.
* ``sweeper``: re-sends events nothing is working on (crash after commit, lost worker, long retry).
* ``replay``: reprocess events on operator request (admin, ``webhooks_reprocess`` command).
* ``catch_up`` / ``reconcile``: gap repair for deliveries the platform never sent.
"""
