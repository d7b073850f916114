"""The one ``environ.Env`` every settings module reads from."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("IGNITE_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(str(BASE_DIR / ".env"), overwrite=False)


def require(name: str) -> str:
    """A production secret: refuse to start, naming the variable, when it is missing or empty."""
    value = env.str(name, default="")
    if not value.strip():
        raise ImproperlyConfigured(
            f"Set the {name} environment variable: production settings have no default for it (see .env.example)."
        )
    return value
