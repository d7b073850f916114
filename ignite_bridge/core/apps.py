from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ignite_bridge.core"
    label = "core"
    verbose_name = "Ignite Bridge core"

    def ready(self) -> None:
        # registers the OpenAPI description of the bearer-token authentication
        from ignite_bridge.core import schema  # noqa: F401
        from ignite_bridge.core.metrics import register_scrape_collector
        from ignite_bridge.core.queue_metrics import queue_gauges

        register_scrape_collector(queue_gauges)
