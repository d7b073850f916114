"""Sync-log error capping and batching helpers."""

from __future__ import annotations

import pytest

from sparklayer.batching import batched
from sparklayer.payloads import SyncLogError, cap_sync_log_errors


def error(external_id: str, message: str = "no sku") -> SyncLogError:
    return {"external_id": external_id, "message": message}


def test_cap_keeps_limit_and_counts_dropped() -> None:
    kept, dropped = cap_sync_log_errors((error(f"p-{i}") for i in range(5001)), limit=5000)

    assert len(kept) == 5000
    assert dropped == 1
    assert kept[-1]["external_id"] == "p-4999"


def test_cap_keeps_first_error_per_external_id() -> None:
    kept, dropped = cap_sync_log_errors([error("a", "first"), error("b"), error("a", "second")])

    assert kept == [error("a", "first"), error("b")]
    assert dropped == 1


def test_cap_of_nothing() -> None:
    assert cap_sync_log_errors([]) == ([], 0)


def test_batched_splits_any_iterable() -> None:
    assert list(batched(iter(range(5)), 2)) == [[0, 1], [2, 3], [4]]
    assert list(batched([], 3)) == []


def test_batched_refuses_empty_batches() -> None:
    with pytest.raises(ValueError):
        list(batched([1], 0))
