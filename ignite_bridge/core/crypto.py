"""Encryption of secrets at rest with MultiFernet: encrypt with the first key, decrypt with any.

Keys come from ``FIELD_ENCRYPTION_KEYS`` (url-safe base64 of 32 bytes, as Fernet.generate_key()
prints). To rotate: put the new key first, keep the old ones after it, run
``manage.py reencrypt_fields``, then drop the old keys.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "fernet:"


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("Set FIELD_ENCRYPTION_KEYS: credentials cannot be stored without a key.")
    try:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds an invalid key; each must be url-safe base64 of 32 bytes."
        ) from exc


def fernet() -> MultiFernet:
    return _multi_fernet(tuple(k for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()))


def encrypt(plaintext: str) -> str:
    return PREFIX + fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("value is not an encrypted token")
    try:
        return fernet().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("value cannot be decrypted with any configured key") from exc


def rotate(stored: str) -> str:
    """Re-encrypt ``stored`` under the first key (no-op in meaning, new ciphertext)."""
    return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode()).decode()


def generate_key() -> str:
    return Fernet.generate_key().decode()
