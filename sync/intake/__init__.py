"""Webhook intake: verify a delivery on its raw body, store it, commit, then enqueue it.

* ``intake``: the plain Django view that verifies a delivery and stores it.
* ``verification_failures``: the bounded record of deliveries that failed verification.
* ``sql``: the raw-SQL fast paths every delivery takes (the event INSERT, the failure counter upsert).
* ``enqueue`` / ``nudge``: send stored events to the ``webhooks`` queue after commit, at most one
  nudge per connection window.
"""
