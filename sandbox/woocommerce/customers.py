"""Customers (WordPress users): read, list by email and role, create, update, force-only delete.

The default ``role=customer`` hides other roles as WooCommerce does, so a client that forgets
``role=all`` misses B2B users here just as it would on a real store.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from sandbox.woocommerce.catalogue import PersonHeader
from sandbox.woocommerce.common import WooError, gmt_to_ts, invalid_id, invalid_param
from sandbox.woocommerce.listing import ListQuery
from sandbox.woocommerce.records import merge_meta, require_string, stamp_created, touch
from sandbox.woocommerce.store import WooStore

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ADDRESS_KEYS = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode",
                "country", "email", "phone")  # fmt: skip


def stored(store: WooStore, customer_id: int) -> dict[str, Any]:
    if customer_id not in store.customers:
        raise invalid_id("customer")
    record = store.customer_records.get(customer_id)
    if record is not None:
        return copy.deepcopy(record)
    return store.catalogue.customer(customer_id, store.base_url)


def render(store: WooStore, customer_id: int) -> dict[str, Any]:
    record = stored(store, customer_id)
    base = f"{store.base_url}/wp-json/wc/v3"
    record["_links"] = {
        "self": [{"href": f"{base}/customers/{customer_id}"}],
        "collection": [{"href": f"{base}/customers"}],
    }
    return record


def _email_of(store: WooStore, customer_id: int) -> str:
    record = store.customer_records.get(customer_id)
    return str(record["email"]) if record else store.catalogue.customer_email(customer_id)


def _name_of(store: WooStore, customer_id: int) -> str:
    record = store.customer_records.get(customer_id)
    if record:
        return f"{record['first_name']} {record['last_name']}".strip() or str(record["username"])
    first, last = store.catalogue.customer_names(customer_id)
    return f"{first} {last}"


def email_index(store: WooStore) -> dict[str, int]:
    """Lower-cased email → customer id; built on first use, kept current by every write."""
    if store.email_index is None:
        store.email_index = {_email_of(store, cid).lower(): cid for cid in store.customers}
    return store.email_index


def list_ids(store: WooStore, query: ListQuery, *, role: str, email: str) -> list[int]:
    def build() -> list[int]:
        if email:
            found = email_index(store).get(email.lower())
            candidates = [found] if found is not None else []
        else:
            candidates = list(store.customers)
        include, exclude = set(query.include), set(query.exclude)
        ids = [
            cid
            for cid in candidates
            if (role == "all" or store.customers[cid].role == role)
            and (not include or cid in include)
            and cid not in exclude
        ]
        keys = {
            "id": lambda i: i,
            "registered_date": lambda i: store.customers[i].created,
            "name": lambda i: _name_of(store, i).lower(),
        }
        return query.sort(ids, keys)

    return store.cached_list(("customers", role, email.lower(), *query.cache_key()), build)


def _apply(store: WooStore, record: dict[str, Any], data: dict[str, Any]) -> None:
    require_string(data, "email", "first_name", "last_name")
    for name in ("first_name", "last_name"):
        if name in data:
            record[name] = data[name]
    for address in ("billing", "shipping"):
        if address in data:
            if not isinstance(data[address], dict):
                raise invalid_param(address, f"{address} is not of type object.")
            for key, value in data[address].items():
                if key in ADDRESS_KEYS and (address == "billing" or key != "email"):
                    record[address][key] = "" if value is None else str(value)
    if "meta_data" in data:
        record["meta_data"] = merge_meta(store, record["meta_data"], data["meta_data"])


def _save(store: WooStore, record: dict[str, Any], old_email: str) -> None:
    customer_id = record["id"]
    store.customer_records[customer_id] = record
    header = store.customers.get(customer_id)
    modified = gmt_to_ts(record["date_modified_gmt"])
    if header is None:
        store.customers[customer_id] = PersonHeader(record["role"], gmt_to_ts(record["date_created_gmt"]), modified)
    else:
        header.modified = modified
    if store.email_index is not None:
        store.email_index.pop(old_email.lower(), None)
        store.email_index[record["email"].lower()] = customer_id
    store.changed()


def create(store: WooStore, data: dict[str, Any]) -> dict[str, Any]:
    email = str(data.get("email") or "").strip()
    if not email:
        raise WooError(400, "rest_missing_callback_param", "Missing parameter(s): email", params=["email"])
    if not EMAIL_PATTERN.match(email):
        raise invalid_param("email", "Invalid email address.")
    if email.lower() in email_index(store):
        raise WooError(
            400,
            "registration-error-email-exists",
            "An account is already registered with your email address. "
            '<a href="#" class="showlogin">Please log in.</a>',
        )
    username = str(data.get("username") or email.split("@", 1)[0])
    customer_id = store.next_customer_id
    store.next_customer_id += 1
    record: dict[str, Any] = {
        "id": customer_id, "email": email, "first_name": "", "last_name": "", "role": "customer",
        "username": username, "billing": dict.fromkeys(ADDRESS_KEYS, ""),
        "shipping": {key: "" for key in ADDRESS_KEYS if key != "email"}, "is_paying_customer": False,
        "avatar_url": f"https://secure.gravatar.com/avatar/{customer_id:032x}?s=96&d=mm&r=g", "meta_data": [],
    }  # fmt: skip
    stamp_created(record)
    _apply(store, record, data)
    _save(store, record, email)
    store.emit("customer.created", customer_id)
    return render(store, customer_id)


def update(store: WooStore, customer_id: int, data: dict[str, Any], *, emit: bool = True) -> dict[str, Any]:
    if customer_id not in store.customers:
        raise invalid_id("customer", 400)
    record = stored(store, customer_id)
    if "username" in data and data["username"] != record["username"]:
        raise WooError(400, "woocommerce_rest_customer_invalid_argument", "Username isn't editable.")
    old_email = record["email"]
    if "email" in data and str(data["email"]).lower() != old_email.lower():
        owner = email_index(store).get(str(data["email"]).lower())
        if owner is not None or not EMAIL_PATTERN.match(str(data["email"])):
            raise WooError(400, "woocommerce_rest_customer_invalid_email", "Email address is invalid.")
    if "email" in data:
        record["email"] = str(data["email"])
    _apply(store, record, data)
    touch(record)
    _save(store, record, old_email)
    if emit:
        store.emit("customer.updated", customer_id)
    return render(store, customer_id)


def delete(store: WooStore, customer_id: int, *, force: bool) -> dict[str, Any]:
    before = render(store, customer_id)
    if not force:
        raise WooError(501, "woocommerce_rest_trash_not_supported", "Customers do not support trashing.")
    del store.customers[customer_id]
    store.customer_records.pop(customer_id, None)
    if store.email_index is not None:
        store.email_index.pop(before["email"].lower(), None)
    store.changed()
    if before["role"] == "customer":  # WooCommerce fires customer.deleted only for this role
        store.emit("customer.deleted", customer_id)
    return before
