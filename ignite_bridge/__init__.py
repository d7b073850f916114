"""Ignite Bridge: make an eCommerce platform a SparkLayer Ignite platform."""

__version__ = "0.1.0"

# Load the Celery app whenever Django starts, so @shared_task binds to it.
from ignite_bridge.celery import app as celery_app

__all__ = ["__version__", "celery_app"]
