"""What a push keeps of the payload it sent: flattened with identities, bounded, and diffable."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import orjson
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from platforms.types import DataType, SyncRecord
from sync.engine import push_payloads
from sync.engine.push_payloads import (
    IDENTITY_KEYS,
    MAX_FIELDS,
    MAX_TEXT,
    digest_fields,
    flatten,
    payload_changes,
    push_payload_digest,
    record_name,
)
from sync.engine.sql import _json_text


def product(title: str, variants: list[dict[str, object]]) -> SyncRecord:
    return SyncRecord(
        data_type=DataType.PRODUCTS,
        external_id="7",
        payload={"external_id": "7", "title": title, "slug": "hoodie", "variants": variants},
        platform_url="https://store.example/wp-admin/post.php?post=7&action=edit",
        visible_id="HOOD",
        stock=[{"sku": "H-S", "stock_location_external_id": "main", "stock_level": 4}],
    )


def test_list_items_are_addressed_by_their_identity() -> None:
    leaves = dict(flatten({"variants": [{"sku": "H-S", "position": 1}, {"external_id": "9"}], "tags": ["a", "b"]}))
    assert leaves == {"variants[sku=H-S].position": 1, "variants[sku=H-S].sku": "H-S",
                      "variants[external_id=9].external_id": "9", "tags[0]": "a", "tags[1]": "b"}  # fmt: skip


def test_the_digest_names_the_record_and_diffs_two_pushes() -> None:
    before = push_payload_digest(product("Hoodie", [{"sku": "H-S", "position": 1}]), "upsert")
    after = push_payload_digest(
        product("Hoodie (organic)", [{"sku": "H-M", "position": 0}, {"sku": "H-S", "position": 1}]), "upsert"
    )
    assert (after["name"], after["visible_id"]) == ("Hoodie (organic)", "HOOD")
    assert after["platform_url"].endswith("post=7&action=edit")
    assert payload_changes(before, after) == [
        ("title", "Hoodie", "Hoodie (organic)"),
        ("variants[sku=H-M].position", None, 0),
        ("variants[sku=H-M].sku", None, "H-M"),
    ]  # the variant inserted in front does not make H-S look changed
    stock = push_payload_digest(product("Hoodie", []), "stock")
    assert "name" not in stock  # only the record's own write carries its name and links
    assert digest_fields(stock) == {"stock[sku=H-S].sku": "H-S", "stock[sku=H-S].stock_level": 4,
                               "stock[sku=H-S].stock_location_external_id": "main"}  # fmt: skip


def test_a_huge_payload_is_bounded() -> None:
    digest = push_payload_digest(product("Big", [{"sku": f"S{n}", "position": n, "w": "x" * 500} for n in range(400)]),
                                 "upsert")  # fmt: skip
    assert len(digest["fields"]) == MAX_FIELDS
    assert digest["more_fields"] == 400 * 3 + 3 - MAX_FIELDS  # external_id, slug, title and 3 per variant
    assert all(len(str(v)) <= 201 for v in digest["fields"].values())


def test_record_names() -> None:
    customer = SyncRecord(DataType.CUSTOMERS, "3", {"first_name": "Zoë", "last_name": "O'Neill", "email": "z@x.io"})
    order = SyncRecord(DataType.PURCHASES, "5", {"purchase_identifiers": {"platform": "5", "visible": "#1005"}})
    assert record_name(customer) == "Zoë O'Neill <z@x.io>"
    assert record_name(order) == "Order #1005"


@pytest.mark.django_db
def test_a_real_push_keeps_what_was_sent_with_the_name_and_store_link(connection: Any, spark: Any) -> None:
    import requests

    from sync.jobs.full_sync import sync_job_run
    from sync.jobs.jobs import sync_job_queue_full
    from sync.models import PushLog

    job = sync_job_queue_full(connection=connection, data_type="products", trigger="command")
    assert sync_job_run(job_id=job.pk).state == "succeeded"
    push = PushLog.objects.filter(connection=connection, operation="upsert", status__lt=400).first()
    assert push is not None
    state = requests.get(f"{spark.url}/_sandbox/state", params={"site_id": connection.site_id, "include": "products"},
                         timeout=30).json()  # fmt: skip
    stored = next(p for p in state["products"] if p["external_id"] == push.external_id)
    assert push.payload["name"] == stored["title"]
    assert push.payload["sent"]["title"] == stored["title"]  # a product this size is kept as it was sent
    assert digest_fields(push.payload)["title"] == stored["title"]
    assert push.payload["platform_url"].endswith(f"post={push.external_id}&action=edit")


def test_keeping_payloads_can_be_turned_off(settings: Any) -> None:
    settings.SYNC_PUSH_LOG_PAYLOADS = False
    assert push_payload_digest(product("Hoodie", []), "upsert") is None


def _reference_leaves(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """The rule ``flatten`` implements, written plainly: mappings by sorted key, list items by their
    identity or index, empty containers and scalars as leaves (long texts cut, others as text)."""
    if isinstance(value, Mapping):
        if not value:
            return [(prefix, {})]
        return [
            leaf
            for key in sorted(value)
            for leaf in _reference_leaves(value[key], f"{prefix}.{key}" if prefix else str(key))
        ]
    if isinstance(value, list | tuple):
        if not value:
            return [(prefix, [])]
        out = []
        for index, item in enumerate(value):
            identity = None
            if isinstance(item, Mapping):
                identity = next((f"{k}={item[k]}" for k in IDENTITY_KEYS if item.get(k) not in (None, "")), None)
            out.extend(_reference_leaves(item, f"{prefix}[{identity or index}]"))
        return out
    if isinstance(value, str):
        return [(prefix, value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "…")]
    if value is None or isinstance(value, bool | int | float):
        return [(prefix, value)]
    return [(prefix, str(value)[:MAX_TEXT])]


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20),
    st.text(min_size=MAX_TEXT - 1, max_size=MAX_TEXT + 2),  # either side of the cut
    st.decimals(allow_nan=False, allow_infinity=False, places=2), st.sampled_from([DataType.PRODUCTS]),
)  # fmt: skip
_keys = st.one_of(st.sampled_from([*IDENTITY_KEYS, "title", "price", "options"]), st.text(max_size=8))
_documents = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(_keys, inner, max_size=5),
        st.builds(MappingProxyType, st.dictionaries(_keys, inner, max_size=3)),
        st.lists(inner, max_size=3).map(tuple),
    ),
    max_leaves=30,
)


@given(document=_documents)
@settings(max_examples=300, deadline=None)
def test_flatten_yields_the_leaves_the_rule_names_in_its_order(document: Any) -> None:
    assert flatten(document) == _reference_leaves(document)


def stored(value: Any) -> Any:
    """``value`` as the push log's jsonb column gives it back."""
    return orjson.loads(_json_text(value))


def _identified_by_a_container(value: Any) -> bool:
    """Whether a list item anywhere in ``value`` names itself by a list or mapping (``sku=()``): Python
    text of a tuple differs from that of the list JSON gives back. Identities are texts in every payload."""
    if isinstance(value, Mapping):
        return any(_identified_by_a_container(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(
            (isinstance(item, Mapping) and any(isinstance(item.get(k), list | tuple | Mapping) for k in IDENTITY_KEYS))
            or _identified_by_a_container(item)
            for item in value
        )
    return False


@given(document=_documents, operation=st.sampled_from(["upsert", "stock", "pricing"]))
@settings(max_examples=300, deadline=None)
def test_a_write_kept_as_sent_reads_back_as_the_fields_flattening_it_at_once_kept(
    document: Any, operation: str
) -> None:
    assume(not _identified_by_a_container([document]))
    record = SyncRecord(DataType.PRODUCTS, "7", {"external_id": "7", "doc": document}, stock=[{"doc": document}],
                        pricing=[{"doc": document}])  # fmt: skip
    kept = push_payload_digest(record, operation)
    with pytest.MonkeyPatch.context() as flattening:
        flattening.setattr(push_payloads, "MAX_SENT_BYTES", -1)  # every write flattened when kept
        flattened = push_payload_digest(record, operation)
    assert "sent" in kept or "fields" in kept  # a document with an integer past 64 bits is flattened either way
    assert digest_fields(stored(kept)) == stored(flattened)["fields"]
    assert payload_changes(stored(flattened), stored(kept)) == []  # a row from before beside one from after


def test_a_write_past_the_size_kept_as_sent_is_flattened_and_bounded_when_kept() -> None:
    small = push_payload_digest(product("Hoodie", [{"sku": "H-S", "position": 1}]), "upsert")
    big = push_payload_digest(product("Big", [{"sku": f"S{n}", "w": "x" * 100} for n in range(40)]), "upsert")
    assert set(small) == {"sent", "name", "platform_url", "visible_id"}
    assert "sent" not in big
    assert len(big["fields"]) == 40 * 2 + 3
    assert len(_json_text(small)) < push_payloads.MAX_SENT_BYTES + 1024  # the bound, with the record's name and links
    assert payload_changes(small, big)[0] == ("title", "Hoodie", "Big")
