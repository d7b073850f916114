from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ignite_bridge.core"
    label = "core"
    verbose_name = "Ignite Bridge core"
