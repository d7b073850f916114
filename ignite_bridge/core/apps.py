from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ignite_bridge.core"
    label = "core"
    verbose_name = "Ignite Bridge core"

    def ready(self) -> None:
        # registers the OpenAPI description of the bearer-token authentication
        from ignite_bridge.core import schema  # noqa: F401
