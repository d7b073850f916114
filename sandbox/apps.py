from django.apps import AppConfig


class SandboxConfig(AppConfig):
    """Makes the sandbox and demo management commands available; the sandbox has no models."""

    name = "sandbox"
    verbose_name = "Sandboxes and demo"
