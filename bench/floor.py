"""The floor: only the unavoidable store reads and SparkLayer writes of a full product sync, with 4
threads and keep-alive, and nothing else (no Django, no database, no hashing, no product code: the
only import from this repository is the helper that starts the two sandboxes).

    .venv/bin/python -m bench.floor --products 5000
    .venv/bin/python -m bench.floor --products 5000 --reads-only   # the reads alone: an unchanged re-sync's floor

Reads: every listing page in order (one ahead of the writes), the variations of each page's
variable products (``GET /variations?parent=...``, ~100 a call) on the pool, each asking only for
the fields a product sync must read (``_fields``, as the bridge does). Writes: one upsert
per product, then its page's stock and pricing rows in batches of 100, sent as soon as the page's
products are accepted, without waiting for them before the next page's writes start (no stall at
page boundaries). Prints the wall time, its own CPU seconds over it (``floor_cpu``: set beside the
sync's ``cpu``, it says how the two would compare against stand-ins that answer at once), the calls
made, and the sandboxes' own answer time (median of sequential calls once the run is over: a listing
page, the same page with every field, a variations read, a product write), so the ratio bridge /
floor can be read against how fast the stand-ins answer.
"""

from __future__ import annotations

import argparse
import json
import queue
import resource
import statistics
import subprocess
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import requests

from bench.full_sync import start

AUTH = ("ck_sandbox", "cs_sandbox")
PER_PAGE = 100
# What a product sync must read (identity, status, stock, prices, weight, image, variation options),
# asked for with ``_fields`` as the bridge asks (``platforms/woocommerce/mapping/products.py``; kept
# apart here so the floor imports nothing of the product).
PRODUCT_FIELDS = ("id,name,sku,type,status,slug,date_modified_gmt,variations,regular_price,sale_price,price,weight,"
                  "images,manage_stock,stock_quantity")  # fmt: skip
VARIATION_FIELDS = ("id,parent_id,sku,status,attributes,menu_order,regular_price,sale_price,price,weight,image,"
                    "manage_stock,stock_quantity")  # fmt: skip


def chunks(products: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Consecutive variable products whose variations fit one ``GET /variations`` page (100)."""
    out: list[list[dict[str, Any]]] = [[]]
    size = 0
    for product in products:
        count = len(product.get("variations") or [])
        if out[-1] and size + count > PER_PAGE:
            out.append([])
            size = 0
        out[-1].append(product)
        size += count
    return [chunk for chunk in out if chunk]


def fresh(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` as a product SparkLayer does not have yet (a create, like the sync's first writes)."""
    tag = f"probe-{time.perf_counter_ns()}"
    variants = [{**v, "external_id": f"{tag}-{n}", "sku": f"{tag}-{n}"} for n, v in enumerate(body["variants"])]
    return {**body, "external_id": tag, "slug": tag, "variants": variants}


def median_ms(call: Any, times: int = 30) -> float:
    took = []
    for _ in range(times):
        started = time.perf_counter()
        call().raise_for_status()
        took.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(took), 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--reads-only", action="store_true",
                        help="the reads alone (what an unchanged re-sync cannot do without): no write")  # fmt: skip
    args = parser.parse_args()
    woo_proc, woo = start("sandbox.woocommerce", "--products", str(args.products), "--customers", "10",
                          "--orders", "5", ready="/_sandbox/stats")  # fmt: skip
    spark_proc, spark = start("sandbox.sparklayer", ready="/_sandbox/stats")
    session = requests.Session()  # keep-alive; one connection per thread from its pool
    session.trust_env = False
    calls = {"store": 0, "spark": 0}
    refused: dict[int, int] = {}
    probe: dict[str, Any] = {}
    try:
        before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        token = session.post(f"{spark}/api/auth/token", json={"grant_type": "client_credentials", "client_id": "id",
                             "client_secret": "secret"}, headers={"Site-Id": "floor"}, timeout=30).json()  # fmt: skip
        headers = {"Authorization": f"Bearer {token['access_token']}", "Site-Id": "floor"}
        session.post(f"{spark}/api/v1/price-lists", json={"slug": "woocommerce-gbp", "name": "GBP",
                     "currency_code": "GBP", "source": "platform"}, headers=headers, timeout=30)  # fmt: skip
        session.post(f"{spark}/api/v1/stock-locations", json={"name": "Store", "external_id": "default"},
                     headers=headers, timeout=30)  # fmt: skip
        pool = ThreadPoolExecutor(args.threads)

        def get(path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
            calls["store"] += 1
            found: list[dict[str, Any]] = session.get(f"{woo}/wp-json/wc/v3/{path}", params=params, auth=AUTH,
                                                      timeout=60).json()  # fmt: skip
            return found

        def send(method: str, path: str, body: Any) -> None:
            calls["spark"] += 1
            status = session.request(method, f"{spark}{path}", json=body, headers=headers, timeout=60).status_code
            if status >= 300:  # e.g. a product the bridge would leave out with an issue: counted, not fatal
                refused[status] = refused.get(status, 0) + 1
            elif path == "/api/v1/products":
                probe["body"] = body  # one SparkLayer accepted, to time a write by itself afterwards

        pages: queue.Queue[Any] = queue.Queue(maxsize=1)  # the reader stays one page ahead of the writes

        def read() -> None:
            page = 1
            while True:
                products = get("products", {"per_page": PER_PAGE, "page": page, "orderby": "id", "order": "asc",
                                            "status": "any", "_fields": PRODUCT_FIELDS})  # fmt: skip
                variable = [p for p in products if p.get("type") == "variable"]
                reads = [
                    pool.submit(
                        get,
                        "variations",
                        {
                            "parent": ",".join(str(p["id"]) for p in chunk),
                            "per_page": PER_PAGE,
                            "orderby": "id",
                            "order": "asc",
                            "_fields": VARIATION_FIELDS,
                        },
                    )
                    for chunk in chunks(variable)
                ]
                pages.put((products, reads))
                if len(products) < PER_PAGE:
                    pages.put(None)
                    return
                page += 1

        threading.Thread(target=read, daemon=True).start()
        previous: tuple[list[Future[None]], list[tuple[str, str, Any]]] | None = None
        sent: list[Future[None]] = []
        while (item := pages.get()) is not None:
            products, reads = item
            variations: dict[Any, list[dict[str, Any]]] = {}
            for future in reads:
                for variation in future.result():
                    variations.setdefault(variation["parent_id"], []).append(variation)
            if args.reads_only:
                probe.setdefault("parent", next(iter(variations), None))
                continue
            upserts, batches, stock, pricing = [], [], [], []
            for product in products:
                sources = variations.get(product["id"]) or [product]
                variants = [{"external_id": str(s["id"]), "sku": s["sku"] or f"x{s['id']}", "status": "live"}
                            for s in sources]  # fmt: skip
                body = {"external_id": str(product["id"]), "title": product["name"] or "x",
                        "slug": product["slug"] or f"p{product['id']}", "variants": variants}  # fmt: skip
                upserts.append(pool.submit(send, "POST", "/api/v1/products", body))
                if product["id"] in variations:
                    probe["parent"] = product["id"]
                for v in variants:
                    stock.append({"sku": v["sku"], "stock_location_external_id": "default", "stock_level": 1})
                    pricing.append({"sku": v["sku"], "price_list_slug": "woocommerce-gbp",
                                    "pricing": [{"quantity": 1, "price": "1.00"}]})  # fmt: skip
            batches += [("POST", "/api/v1/batch-update-stock", stock[i : i + 100]) for i in range(0, len(stock), 100)]
            batches += [("PATCH", "/api/v1/batch-update-pricing", pricing[i : i + 100])
                        for i in range(0, len(pricing), 100)]  # fmt: skip
            if previous is not None:  # the last page's batches, once its products are in: no page-boundary wait
                for future in previous[0]:
                    future.result()
                sent += [pool.submit(send, *batch) for batch in previous[1]]
            previous = (upserts, batches)
        if previous is not None:
            for future in previous[0]:
                future.result()
            sent += [pool.submit(send, *batch) for batch in previous[1]]
        for future in sent:
            future.result()
        pool.shutdown(wait=True)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        listing: dict[str, Any] = {"per_page": PER_PAGE, "page": 1, "orderby": "id", "order": "asc", "status": "any",
                                   "_fields": PRODUCT_FIELDS}  # fmt: skip
        one_parent: dict[str, Any] = {"parent": probe["parent"], "per_page": PER_PAGE, "_fields": VARIATION_FIELDS}
        every_field = {k: v for k, v in listing.items() if k != "_fields"}
        answer = {  # the sandboxes' own answer time, nothing else in flight
            "listing_ms": median_ms(lambda: session.get(f"{woo}/wp-json/wc/v3/products", params=listing, auth=AUTH)),
            "listing_every_field_ms": median_ms(
                lambda: session.get(f"{woo}/wp-json/wc/v3/products", params=every_field, auth=AUTH)
            ),
            "variations_ms": median_ms(
                lambda: session.get(f"{woo}/wp-json/wc/v3/variations", params=one_parent, auth=AUTH)
            ),
        }
        if not args.reads_only:
            answer["write_ms"] = median_ms(
                lambda: session.post(f"{spark}/api/v1/products", json=fresh(probe["body"]), headers=headers)
            )
        print(json.dumps({"floor_wall": round(wall, 2), "floor_cpu": round(cpu, 2), "products": args.products,
                          "threads": args.threads,
                          "reads_only": args.reads_only,
                          "store_calls": calls["store"], "spark_writes": calls["spark"], "refused": refused,
                          "sandbox_median_answer": answer}))  # fmt: skip
    finally:
        for proc in (woo_proc, spark_proc):
            proc.terminate()
        for proc in (woo_proc, spark_proc):
            try:  # gunicorn waits for this process's kept-alive connections before it stops: no need
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
