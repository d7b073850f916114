from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "sync"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ignite_bridge.core.metrics import register_scrape_collector
        from sync.metrics import sync_gauges

        register_scrape_collector(sync_gauges)
