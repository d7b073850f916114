"""Celery: queues, reliability flags and time limits (read by ``ignite_bridge/celery.py``)."""

from ignite_bridge.settings.env import VAR_DIR, env

# The embedded default needs no broker server: kombu's filesystem transport lets a real worker
# process take tasks from the web process through a folder. Production sets a Redis URL.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost//")
if CELERY_BROKER_URL.rstrip("/") == "filesystem:":
    # kombu warns "No hostname was supplied" on every connection without one; the transport ignores it.
    CELERY_BROKER_URL = "filesystem://localhost//"
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None

#: the longest a task may run; the broker's visibility timeout must exceed it
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=3300)

if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # how often an idle worker looks for new messages (kombu's default is 1 s): a change reaches the
        # worker sooner, and a stopping worker leaves its wait sooner
        "polling_interval": 0.2,
    }
else:
    # A task not acknowledged within this window is redelivered (acks_late): it must be longer
    # than the hard time limit, or long syncs would run twice.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}

CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
