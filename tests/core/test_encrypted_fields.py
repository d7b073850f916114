"""Credentials are encrypted at rest with rotating keys."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection as db

from connections.models import Connection

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def raw_columns(pk):
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT spark_client_secret, platform_credentials FROM connections_connection WHERE id = %s", [pk]
        )
        return cursor.fetchone()


def make_connection(**fields):
    return Connection.objects.create(
        site_env="test", site_id="bobs-store", platform="woocommerce", store_id="bob", **fields
    )


@pytest.fixture(autouse=True)
def _key_a(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]


@pytest.mark.django_db
def test_round_trip_returns_plaintext():
    conn = make_connection(spark_client_secret="s3cr3t-value", platform_credentials={"consumer_secret": "cs_abc"})
    conn.refresh_from_db()
    assert conn.spark_client_secret == "s3cr3t-value"
    assert conn.platform_credentials == {"consumer_secret": "cs_abc"}


@pytest.mark.django_db
def test_database_column_holds_no_plaintext():
    conn = make_connection(spark_client_secret="s3cr3t-value", platform_credentials={"consumer_secret": "cs_abc"})
    secret_raw, credentials_raw = raw_columns(conn.pk)
    assert "s3cr3t-value" not in secret_raw
    assert "cs_abc" not in credentials_raw
    assert secret_raw.startswith("fernet:")


@pytest.mark.django_db
def test_rotation_reads_old_values_and_reencrypt_moves_them(settings):
    conn = make_connection(spark_client_secret="s3cr3t-value")
    raw_under_a, _ = raw_columns(conn.pk)

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    assert Connection.objects.get(pk=conn.pk).spark_client_secret == "s3cr3t-value"

    call_command("reencrypt_fields")
    raw_under_b, _ = raw_columns(conn.pk)
    assert raw_under_b != raw_under_a

    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]  # key A dropped: the value must still read
    assert Connection.objects.get(pk=conn.pk).spark_client_secret == "s3cr3t-value"


@pytest.mark.django_db
def test_value_under_an_unknown_key_fails_loudly(settings):
    conn = make_connection(spark_client_secret="s3cr3t-value")
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(ValueError, match="cannot be decrypted"):
        Connection.objects.get(pk=conn.pk)


@pytest.mark.django_db
def test_a_token_read_before_does_not_open_once_its_key_is_dropped(settings):
    """Decryptions are remembered per key set: a value read under key A, once A is no longer configured,
    fails as it would on first sight (a dropped key really stops opening its values)."""
    conn = make_connection(spark_client_secret="s3cr3t-value")
    assert Connection.objects.get(pk=conn.pk).spark_client_secret == "s3cr3t-value"
    assert Connection.objects.get(pk=conn.pk).spark_client_secret == "s3cr3t-value"  # remembered
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    with pytest.raises(ValueError, match="cannot be decrypted"):
        Connection.objects.get(pk=conn.pk)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    assert Connection.objects.get(pk=conn.pk).spark_client_secret == "s3cr3t-value"
