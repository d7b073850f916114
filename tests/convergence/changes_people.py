"""The walk's customer and order changes (a part of ``changes.StoreChanges``)."""

from __future__ import annotations

import random
from typing import Any

from sandbox.woocommerce import customers, orders
from tests.convergence import catalogue
from tests.convergence.catalogue import Names

Target = tuple[int, int | None]  # (product id, variation id or None for the product itself)


class PeopleChanges:
    """Customers changed, created and deleted; orders created and their status changed."""

    store: Any
    names: Names
    rng: random.Random

    def _pick(self, items: list[Any]) -> Any:
        return self.rng.choice(items) if items else None

    def _priced_targets(self) -> list[Target]:
        raise NotImplementedError

    def _read(self, target: Target) -> dict[str, Any]:
        raise NotImplementedError

    def _customers(self) -> list[int]:
        return sorted(i for i, h in self.store.customers.items() if h.role == "customer")

    def customer_update(self) -> str | None:
        customer_id = self._pick(self._customers())
        if customer_id is None:
            return None
        what = self.rng.choice(["first_name", "last_name", "phone", "city", "shipping"])
        data: dict[str, Any]
        if what in ("first_name", "last_name"):
            data = {what: self.rng.choice(catalogue.WORDS)}
        elif what == "phone":
            data = {"billing": {"phone": f"+44 161 {self.rng.randint(100, 999)} {self.rng.randint(1000, 9999)}"}}
        elif what == "city":
            city, postcode = self.rng.choice(catalogue.CITIES)
            data = {"billing": {"city": city, "postcode": postcode}}
        else:
            data = {"shipping": catalogue.address(self.names)}
        customers.update(self.store, customer_id, data)
        return f"customer {customer_id} {what} changed"

    def customer_create(self) -> str | None:
        return f"customer {catalogue.create_customer(self.store, self.names)} created"

    def customer_delete(self) -> str | None:
        customer_id = self._pick(self._customers())
        if customer_id is None:
            return None
        customers.delete(self.store, customer_id, force=True)
        return f"customer {customer_id} deleted"

    def order_create(self) -> str | None:
        sellable = [t for t in self._priced_targets() if self._read(t)["price"] not in ("", None)]
        if not sellable:
            return None
        lines = []
        for product_id, variation_id in self.rng.sample(sellable, min(len(sellable), self.rng.randint(1, 3))):
            line: dict[str, Any] = {"product_id": product_id, "quantity": self.rng.randint(1, 3)}
            if variation_id is not None:
                line["variation_id"] = variation_id
            lines.append(line)
        customer_id = self._pick(self._customers()) or 0
        order_id = catalogue.create_order(self.store, self.names, lines, customer_id)
        return f"order {order_id} created ({len(lines)} lines, customer {customer_id})"

    def order_update(self) -> str | None:
        order_id = self._pick(sorted(i for i, h in self.store.orders.items() if h.status != "trash"))
        if order_id is None:
            return None
        status = self.rng.choice(["processing", "completed", "on-hold", "cancelled"])
        orders.update(self.store, order_id, {"status": status})
        return f"order {order_id} status -> {status}"
