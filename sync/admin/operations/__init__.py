"""The console's buttons: one POST view per operation (one per module), each guarded by ``base.guarded``.

Buttons sit where people look for them (Stripe's "Resend", Sentry's "Resolve"): on the job page (rerun,
cancel), the event page (reprocess), the issue page (resolve, mute, re-check now), the connection page
and dashboard (sync now per data type, reprocess failed events). Each calls one service, says what it
did with a message, and goes back to the page it came from.
"""
