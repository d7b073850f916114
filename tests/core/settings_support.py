"""Run a settings module in a fresh interpreter and read back what it configured (settings tests share it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "SECRET_KEY": "x" * 50,
    "IGNITE_API_TOKENS": "token-one,token-two",
    "FIELD_ENCRYPTION_KEYS": "dGVzdC1rZXktYS10ZXN0LWtleS1hLXRlc3Qta2V5LWE=",
    "IGNITE_PUBLIC_URL": "https://bridge.example.com",
    "DATABASE_URL": "postgres://u@127.0.0.1:5432/db",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}

PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'broker': s.CELERY_BROKER_URL, "
    "'tokens': s.IGNITE_API_TOKENS, 'sandbox': 'sandbox' in s.INSTALLED_APPS, "
    "'skip_enqueue': hasattr(s, 'WEBHOOK_SKIP_ENQUEUE')}))"
)


def run_settings(module: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "CACHE_URL"}
    clean.update(env, DJANGO_SETTINGS_MODULE=module, IGNITE_VAR_DIR=str(tmp_path))
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )
