from django.apps import AppConfig


class StandardPlatformConfig(AppConfig):
    """Installed only for its management command (``platform_check``); the platform has no models."""

    name = "platforms.standard"
    label = "standard_platform"
    verbose_name = "Standard platform (Platform API)"
