"""Production settings refuse to start without their secrets; the embedded default needs nothing."""

import pytest

from tests.core.settings_support import PRODUCTION_ENV, run_settings


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_production_without_a_secret_fails_naming_it(missing, tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_settings("ignite_bridge.settings.production", env, tmp_path)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


def test_production_with_every_secret_starts(tmp_path):
    result = run_settings("ignite_bridge.settings.production", PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"tokens": ["token-one", "token-two"]' in result.stdout


def test_embedded_default_is_sqlite_and_a_serverless_broker(tmp_path):
    result = run_settings("ignite_bridge.settings.local", {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"engine": "django.db.backends.sqlite3"' in result.stdout
    # with a host named: kombu warns "No hostname was supplied" on every connection without one
    assert '"broker": "filesystem://localhost//"' in result.stdout


def test_production_installs_no_sandbox_and_no_test_switch(tmp_path):
    result = run_settings(
        "ignite_bridge.settings.production", {**PRODUCTION_ENV, "WEBHOOK_SKIP_ENQUEUE": "true"}, tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert '"sandbox": false' in result.stdout
    assert '"skip_enqueue": false' in result.stdout


@pytest.mark.parametrize("module", ["ignite_bridge.settings.local", "ignite_bridge.settings.test"])
def test_the_settings_that_run_the_sandboxes_install_them(module, tmp_path):
    result = run_settings(module, {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert '"sandbox": true' in result.stdout


def test_a_full_syncs_call_log_level_is_a_level_name_or_the_process_stops_naming_it(tmp_path):
    refused = run_settings("ignite_bridge.settings.local", {"FULL_SYNC_CALL_LOG_LEVEL": "LOUD"}, tmp_path)
    assert refused.returncode != 0
    assert "FULL_SYNC_CALL_LOG_LEVEL='LOUD' is not a log level; use one of DEBUG, INFO" in refused.stderr
    taken = run_settings("ignite_bridge.settings.local", {"FULL_SYNC_CALL_LOG_LEVEL": "info"}, tmp_path)
    assert taken.returncode == 0, taken.stderr
