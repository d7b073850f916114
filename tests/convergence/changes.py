"""The walk's store changes: merchant-like edits made through the sandbox store's services under its
lock, so each fires exactly the webhooks WooCommerce would (or none where WooCommerce fires none).

Each change answers a one-line description for the action log, or None when the store has nothing
it applies to (the walk then picks another). Changes that leave the record's ``date_modified``
alone are made inside ``queue.dateless``; those nothing reveals are marked in ``invisible``.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from sandbox.woocommerce import products, variations
from tests.convergence import catalogue, semantics
from tests.convergence.actionlog import ActionLog
from tests.convergence.catalogue import Names
from tests.convergence.changes_people import PeopleChanges, Target
from tests.convergence.deliveries import WebhookQueue
from tests.convergence.semantics import InvisibleChanges

#: how often each change is picked (relative weights)
WEIGHTS: dict[str, int] = {
    "rename": 8,
    "price_change": 8,
    "price_clear": 2,
    "price_aba": 3,
    "stock_change": 6,
    "stock_from_order": 6,
    "stock_aba": 3,
    "stock_silent": 3,
    "stock_unmanaged": 2,
    "sku_change": 3,
    "variation_add": 3,
    "variation_delete": 3,
    "product_create": 3,
    "product_status": 2,
    "product_trash": 2,
    "product_force_delete": 2,
    "product_recreate_same_sku": 2,
    "product_unpushable": 2,
    "customer_update": 4,
    "customer_create": 2,
    "customer_delete": 2,
    "order_create": 3,
    "order_update": 3,
}


class StoreChanges(PeopleChanges):
    def __init__(
        self,
        *,
        store: Any,
        names: Names,
        log: ActionLog,
        queue: WebhookQueue,
        invisible: InvisibleChanges,
    ) -> None:
        self.store = store
        self.names = names
        self.rng: random.Random = names.rng
        self.log = log
        self.queue = queue
        self.invisible = invisible

    def random_change(self) -> None:
        """Make one change, picked by ``WEIGHTS`` among those the store allows now."""
        kinds = list(WEIGHTS)
        for _ in range(20):
            kind = self.rng.choices(kinds, weights=[WEIGHTS[k] for k in kinds])[0]
            change: Callable[[], str | None] = getattr(self, kind)
            with self.store.lock:
                described = change()
            if described is not None:
                self.log.add(f"store.{kind}", described)
                return

    # -- picking -------------------------------------------------------------------------------

    def _live(self, *types: str) -> list[int]:
        return sorted(i for i, h in self.store.products.items() if h.status != "trash" and h.type in types)

    def _children(self, product_id: int) -> list[int]:
        return products.children(self.store, product_id)

    def _priced_targets(self) -> list[Target]:
        targets: list[Target] = [(pid, None) for pid in self._live("simple")]
        targets += [(pid, vid) for pid in self._live("variable") for vid in self._children(pid)]
        return targets

    def _managed_targets(self) -> list[Target]:
        """Products and variations whose stock is tracked (a "parent" variation's is its product's)."""
        return [t for t in self._priced_targets() if self._read(t)["manage_stock"] in (True, "parent")]

    def _read(self, target: Target) -> dict[str, Any]:
        product_id, variation_id = target
        if variation_id is None:
            return products.stored(self.store, product_id)
        return variations.stored(self.store, variation_id)

    @staticmethod
    def _label(target: Target) -> str:
        product_id, variation_id = target
        return f"product {product_id}" if variation_id is None else f"variation {variation_id} of {product_id}"

    # -- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _dateless(self) -> Iterator[None]:
        self.queue.dateless = True
        try:
            yield
        finally:
            self.queue.dateless = False

    def _write(self, target: Target, data: dict[str, Any], *, keep_modified: bool = False) -> None:
        """A save of a product or variation. A variation's save does not move its product's
        ``date_modified``, so from the record's side it is dateless (``semantics``)."""
        product_id, variation_id = target
        if variation_id is None:
            with self._dateless() if keep_modified else contextlib.nullcontext():
                products.update(self.store, product_id, data, keep_modified=keep_modified)
            if not keep_modified:
                self.invisible.covered(str(product_id))  # the catch-up reads it
            return
        parent_dated = semantics.CATCH_UP_SEES_VARIATION_CHANGES and not keep_modified
        with contextlib.nullcontext() if parent_dated else self._dateless():
            variations.update(self.store, product_id, variation_id, data, keep_modified=keep_modified)
        if parent_dated:
            self.invisible.covered(str(product_id))

    def _order_stock(self, target: Target, quantity: int) -> None:
        """Stock moved by an order: ``product.updated`` fires, ``date_modified`` stays."""
        product_id, variation_id = target
        with self._dateless():
            if variation_id is None:
                products.set_stock_silently(self.store, product_id, quantity, notify=True)
            else:
                variations.set_stock_silently(self.store, variation_id, quantity, notify=True)

    def _deliver_between(self) -> None:
        """Inside an A-B-A sequence: deliver what is due, give the worker a moment, go on."""
        self.store.lock.release()
        try:
            self.queue.flush()
            time.sleep(self.rng.uniform(0.0, 0.8))
        finally:
            self.store.lock.acquire()

    # -- products: content -----------------------------------------------------------------------

    def rename(self) -> str | None:
        product_id = self._pick(self._live("simple", "variable"))
        if product_id is None:
            return None
        name = self.names.title()
        self._write((product_id, None), {"name": name})
        return f"product {product_id} name -> {name!r}"

    def price_change(self) -> str | None:
        target = self._pick(self._priced_targets())
        if target is None:
            return None
        before, price = self._read(target)["regular_price"], self.names.price()
        self._write(target, {"regular_price": price})
        return f"{self._label(target)} regular_price {before!r} -> {price!r}"

    def price_clear(self) -> str | None:
        target = self._pick(self._priced_targets())
        if target is None:
            return None
        self._write(target, {"regular_price": "", "sale_price": ""})
        return f"{self._label(target)} price cleared"

    def price_aba(self) -> str | None:
        """a (a normal save), b, a again: the last two within the same second (date unchanged), each
        delivered at once; the third body is byte-identical to the first."""
        target = self._pick(self._priced_targets())
        if target is None:
            return None
        a, b = self.names.price(), self.names.price()
        self.queue.reliable = True
        try:
            for price, keep in ((a, False), (b, True), (a, True)):
                self.log.add("store.aba_step", f"{self._label(target)} regular_price -> {price}")
                self._write(target, {"regular_price": price}, keep_modified=keep)
                self._deliver_between()
        finally:
            self.queue.reliable = False
        return f"{self._label(target)} regular_price {a} -> {b} -> {a} (date unchanged after the first)"

    def sku_change(self) -> str | None:
        target = self._pick(self._priced_targets())
        if target is None:
            return None
        before, sku = self._read(target)["sku"], self.names.sku()
        self._write(target, {"sku": sku})
        return f"{self._label(target)} sku {before} -> {sku}"

    def product_status(self) -> str | None:
        product_id = self._pick(self._live("simple", "variable"))
        if product_id is None:
            return None
        before = self.store.products[product_id].status
        status = "publish" if before != "publish" else self.rng.choice(["draft", "private", "pending"])
        self._write((product_id, None), {"status": status})
        return f"product {product_id} status {before} -> {status}"

    # -- products: stock ----------------------------------------------------------------------

    def stock_change(self) -> str | None:
        targets = self._priced_targets() + [(p, None) for p in self._live("variable") if self._managed_parent(p)]
        target = self._pick(targets)
        if target is None:
            return None
        quantity = self.rng.randint(0, 80)
        self._write(target, {"manage_stock": True, "stock_quantity": quantity})
        return f"{self._label(target)} stock -> {quantity} (a normal save)"

    def _managed_parent(self, product_id: int) -> bool:
        return products.stored(self.store, product_id)["manage_stock"] is True

    def _current_stock(self, target: Target) -> int:
        record = self._read(target)
        if record["manage_stock"] == "parent":
            return int(products.stored(self.store, target[0])["stock_quantity"] or 0)
        return int(record["stock_quantity"] or 0)

    def stock_from_order(self) -> str | None:
        target = self._pick(self._managed_targets())
        if target is None:
            return None
        before = self._current_stock(target)
        quantity = max(0, before - self.rng.randint(1, 3))
        self._order_stock(target, quantity)
        return f"{self._label(target)} stock {before} -> {quantity} by an order (webhook, date unchanged)"

    def stock_aba(self) -> str | None:
        """Orders move stock q -> q-1 -> q -> q-1 (a cancellation puts it back), each delivered at once:
        the first and last bodies are byte-identical."""
        target = self._pick(self._managed_targets())
        if target is None:
            return None
        high = max(1, self._current_stock(target))
        self.queue.reliable = True
        try:
            for quantity in (high - 1, high, high - 1):
                self.log.add("store.aba_step", f"{self._label(target)} stock -> {quantity} by an order")
                self._order_stock(target, quantity)
                self._deliver_between()
        finally:
            self.queue.reliable = False
        return f"{self._label(target)} stock {high - 1} -> {high} -> {high - 1} by orders (date unchanged)"

    def stock_silent(self) -> str | None:
        target = self._pick(self._managed_targets())
        if target is None:
            return None
        before, quantity = self._current_stock(target), self.rng.randint(0, 80)
        product_id, variation_id = target
        if variation_id is None:
            products.set_stock_silently(self.store, product_id, quantity)
        else:
            variations.set_stock_silently(self.store, variation_id, quantity)
        self.invisible.mark(str(product_id), f"silent stock change of {self._label(target)}")
        return f"{self._label(target)} stock {before} -> {quantity} silently (no webhook, date unchanged)"

    def stock_unmanaged(self) -> str | None:
        target = self._pick([t for t in self._priced_targets() if self._read(t)["manage_stock"] is True])
        if target is None:
            return None
        self._write(target, {"manage_stock": False})
        return f"{self._label(target)} stops managing stock"

    # -- products: variations, lifecycle -------------------------------------------------------

    def variation_add(self) -> str | None:
        product_id = self._pick(self._live("variable"))
        if product_id is None:
            return None
        parent_stock = self._managed_parent(product_id) and self.rng.random() < 0.5
        colour = f"Colour {self.names.counter.__next__()}"
        with contextlib.nullcontext() if semantics.CATCH_UP_SEES_VARIATION_CHANGES else self._dateless():
            variation_id = catalogue.add_variation(
                self.store, self.names, product_id, colour=colour, parent_stock=parent_stock
            )
        return f"variation {variation_id} added to product {product_id}"

    def variation_delete(self) -> str | None:
        product_id = self._pick([p for p in self._live("variable") if self._children(p)])
        if product_id is None:
            return None
        variation_id = self.rng.choice(self._children(product_id))
        variations.delete(self.store, product_id, variation_id, force=True)
        self.invisible.mark(str(product_id), f"variation {variation_id} deleted (no webhook)")
        left = len(self._children(product_id))
        return f"variation {variation_id} of product {product_id} deleted, no webhook ({left} left)"

    def product_create(self) -> str | None:
        if self.rng.random() < 0.6:
            product_id = catalogue.create_simple(self.store, self.names, managed=self.rng.random() < 0.8)
        else:
            product_id = catalogue.create_variable(self.store, self.names, parent_stock=self.rng.random() < 0.3)
        return f"product {product_id} created ({self.store.products[product_id].type})"

    def product_trash(self) -> str | None:
        product_id = self._pick(self._live("simple", "variable"))
        if product_id is None:
            return None
        products.trash(self.store, product_id)
        return f"product {product_id} trashed"

    def product_force_delete(self) -> str | None:
        product_id = self._pick(sorted(self.store.products))
        if product_id is None:
            return None
        products.delete(self.store, product_id)
        return f"product {product_id} deleted permanently (no webhook)"

    def product_recreate_same_sku(self) -> str | None:
        """Delete a product permanently, then create a new product carrying the same SKU(s)."""
        product_id = self._pick(self._live("simple", "variable"))
        if product_id is None:
            return None
        if self.store.products[product_id].type == "simple":
            sku = products.stored(self.store, product_id)["sku"]
            if not sku:
                return None
            products.delete(self.store, product_id)
            created = catalogue.create_simple(self.store, self.names, sku=sku)
            return f"product {product_id} deleted permanently; product {created} created with its SKU {sku}"
        skus = [variations.stored(self.store, v)["sku"] for v in self._children(product_id)]
        if not skus or not all(skus):
            return None
        products.delete(self.store, product_id)
        created = catalogue.create_variable(self.store, self.names, variation_skus=skus)
        return f"product {product_id} deleted permanently; product {created} created with its SKUs {skus}"

    def product_unpushable(self) -> str | None:
        product_id = self._pick(self._live("simple", "variable"))
        if product_id is None:
            return None
        choices = ["external", "grouped"] + (["no sku"] if self.store.products[product_id].type == "simple" else [])
        how = self.rng.choice(choices)
        data: dict[str, Any] = {"sku": ""} if how == "no sku" else {"type": how}
        if how == "external":
            data.update({"external_url": "https://partner.example.com/buy", "button_text": "Buy"})
        self._write((product_id, None), data)
        return f"product {product_id} made unpushable ({how})"
