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


def _keys() -> tuple[str, ...]:
    return tuple(k for k in settings.FIELD_ENCRYPTION_KEYS if k.strip())


def fernet() -> MultiFernet:
    return _multi_fernet(_keys())


def encrypt(plaintext: str) -> str:
    return PREFIX + fernet().encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("value is not an encrypted token")
    return _decrypted(_keys(), stored)


@lru_cache(maxsize=4096)
def _decrypted(keys: tuple[str, ...], stored: str) -> str:
    """One token's plaintext under one key set, remembered: every webhook event loads its connection, and
    four Fernet decryptions an event were a few per cent of a worker's CPU. A token is never re-used for
    another plaintext (each encryption draws a new IV), so the memo cannot go stale; another key set is
    another entry, and a token no key opens is not remembered (the error is raised every time). The
    plaintexts stay in this process's memory only, as the loaded connections' own fields do."""
    try:
        return _multi_fernet(keys).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise ValueError("value cannot be decrypted with any configured key") from exc


def rotate(stored: str) -> str:
    """Re-encrypt ``stored`` under the first key (no-op in meaning, new ciphertext)."""
    return PREFIX + fernet().rotate(stored[len(PREFIX) :].encode()).decode()


def generate_key() -> str:
    return Fernet.generate_key().decode()
