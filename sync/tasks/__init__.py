"""Celery tasks of the sync app (thin: ids in, one service call).

Each submodule registers its tasks under explicit ``sync.tasks.<name>`` names, which the queue
routes in ``ignite_bridge/celery.py`` match; import every submodule here so autodiscovery finds them.
"""

from sync.tasks.audits import *  # noqa: F403
from sync.tasks.full_sync import *  # noqa: F403
from sync.tasks.issues import *  # noqa: F403
from sync.tasks.webhooks import *  # noqa: F403
