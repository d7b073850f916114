"""The floor: the same platform reads and SparkLayer writes as a full product sync, with the same
concurrency (4 variation reads, 4 writes, the next page read while this one is written), and
nothing else (no Django, no database, no hashing, no mapping beyond the minimum).

    .venv/bin/python bench/floor.py --products 5000

Starts both sandboxes like ``bench/full_sync.py`` and prints wall time and call counts; the ratio
full-sync wall / floor wall is what the bridge's own work costs.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import requests

from bench.full_sync import start
from platforms.prefetch import prefetched
from platforms.woocommerce.adapter import LISTINGS_AHEAD, variation_chunks

AUTH = ("ck_sandbox", "cs_sandbox")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    woo_proc, woo = start("sandbox.woocommerce", "--products", str(args.products), "--customers", "10",
                          "--orders", "5", ready="/_sandbox/stats")  # fmt: skip
    spark_proc, spark = start("sandbox.sparklayer", ready="/_sandbox/stats")
    session = requests.Session()
    session.trust_env = False  # as the bridge's sessions: no per-call scan of the environment
    try:
        started = time.monotonic()
        token = session.post(f"{spark}/api/auth/token", json={"grant_type": "client_credentials", "client_id": "id",
                             "client_secret": "secret"}, headers={"Site-Id": "floor"}, timeout=30).json()  # fmt: skip
        headers = {"Authorization": f"Bearer {token['access_token']}", "Site-Id": "floor"}
        session.post(f"{spark}/api/v1/price-lists", json={"slug": "woocommerce-gbp", "name": "GBP",
                     "currency_code": "GBP", "source": "platform"}, headers=headers, timeout=30)  # fmt: skip
        location = {"name": "Store", "external_id": "default"}  # SparkLayer refuses stock at an unknown location
        session.post(f"{spark}/api/v1/stock-locations", json=location, headers=headers, timeout=30)
        writes = 0

        def pages() -> Iterator[tuple[list[dict[str, Any]], dict[Any, Any]]]:
            """The store's pages with their variations, read as the bridge does: the next listing
            while this page's variations are read (``GET /variations?parent=...``, ~100 per call),
            and one page ahead of the writes."""

            def variations_of(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
                params = {"parent": ",".join(str(p["id"]) for p in chunk), "per_page": 100, "orderby": "id",
                          "order": "asc"}  # fmt: skip
                found: list[dict[str, Any]] = session.get(
                    f"{woo}/wp-json/wc/v3/variations", params=params, auth=AUTH, timeout=60
                ).json()
                return found

            page, more = 1, True
            pending: deque[tuple[list[dict[str, Any]], list[Future[list[dict[str, Any]]]]]] = deque()
            with ThreadPoolExecutor(args.concurrency) as reads:
                while more or pending:
                    if more and len(pending) < LISTINGS_AHEAD:
                        params = {"per_page": 100, "page": page, "orderby": "id", "order": "asc", "status": "any"}
                        listing = session.get(f"{woo}/wp-json/wc/v3/products", params=params, auth=AUTH, timeout=60)
                        products: list[dict[str, Any]] = listing.json()
                        variable = [p for p in products if p.get("type") == "variable"]
                        pending.append((products, [reads.submit(variations_of, c) for c in variation_chunks(variable)]))
                        more, page = len(products) == 100, page + 1
                        continue
                    products, futures = pending.popleft()
                    variations: dict[Any, list[dict[str, Any]]] = {}
                    for future in futures:
                        for variation in future.result():
                            variations.setdefault(variation["parent_id"], []).append(variation)
                    if products:
                        yield products, variations

        with ThreadPoolExecutor(args.concurrency) as pool:
            for products, variations in prefetched(pages(), depth=1):
                bodies, stock, pricing = [], [], []
                for product in products:
                    sources = variations.get(product["id"]) or [product]
                    variants = [{"external_id": str(s["id"]), "sku": s["sku"] or f"x{s['id']}", "status": "live"}
                                for s in sources]  # fmt: skip
                    bodies.append({"external_id": str(product["id"]), "title": product["name"] or "x",
                                   "slug": product["slug"] or f"p{product['id']}", "variants": variants})  # fmt: skip
                    for v in variants:
                        stock.append({"sku": v["sku"], "stock_location_external_id": "default", "stock_level": 1})
                        pricing.append({"sku": v["sku"], "price_list_slug": "woocommerce-gbp",
                                        "pricing": [{"quantity": 1, "price": "1.00"}]})  # fmt: skip
                list(pool.map(lambda b: session.post(f"{spark}/api/v1/products", json=b, headers=headers,
                                                     timeout=60), bodies))  # fmt: skip
                batches = [
                    ("POST", "/api/v1/batch-update-stock", stock[i : i + 100]) for i in range(0, len(stock), 100)
                ]
                batches += [("PATCH", "/api/v1/batch-update-pricing", pricing[i:i + 100])
                            for i in range(0, len(pricing), 100)]  # fmt: skip
                list(pool.map(lambda b: session.request(b[0], f"{spark}{b[1]}", json=b[2], headers=headers,
                                                        timeout=60), batches))  # fmt: skip
                writes += len(bodies) + len(batches)
        wall = time.monotonic() - started
        print(json.dumps({"floor_wall": wall, "products": args.products, "spark_writes": writes}))
    finally:
        for proc in (woo_proc, spark_proc):
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
