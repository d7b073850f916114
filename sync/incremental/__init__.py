"""Incremental sync: turning stored webhook events (and gap repair) into per-record pushes.

* ``processing`` / ``apply``: claim and coalesce a record's pending events, read it fresh, push it.
* ``sweeper``: re-send events nothing is working on (crash after commit, lost worker, long retry).
* ``replay``: reprocess events on operator request (admin, ``webhooks_reprocess`` command).
* ``catch_up`` / ``reconcile``: gap repair for deliveries the platform never sent; ``locks`` keeps
  one of each per connection at a time.
"""
