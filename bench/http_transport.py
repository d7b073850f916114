"""CPU a SparkLayer write costs the sending process, by transport: requests' ``Session.request``,
``session_send`` through requests' adapter (``OUTBOUND_CURL=false``), ``session_send`` through
libcurl (``ignite_bridge/core/curl.py``, the default). With ``--store-pages N``, also a full sync's
store read: a listing page of 100 products from the WooCommerce sandbox, on a store's session (through
the address guard), by ``session_send`` through requests' adapter and through libcurl.

    .venv/bin/python bench/http_transport.py --calls 3000 --store-pages 300

Starts the SparkLayer sandbox in its own process and sends ``--calls`` product upserts (a real
product body, ~2 KB) per transport over one keep-alive connection, in rounds that alternate the
transports. Prints, per transport, the median over rounds of this process's CPU per call
(``time.process_time``: what a sync's write threads spend under the GIL) and of wall time per call.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ignite_bridge.settings.test")

from bench.full_sync import start  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--store-pages", type=int, default=0, help="> 0: also this many store listing pages a round")
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings

    from ignite_bridge.core.http import json_request_body, session_send, shared_session

    proc, url = start("sandbox.sparklayer", ready="")
    procs = [proc]
    try:
        token = _token(url)
        session = shared_session(url)
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", "X-Request-ID": "bench",
                   "Site-Id": "bench", "Content-Type": "application/json", "User-Agent": "bench"}  # fmt: skip
        n = [0]

        def body() -> bytes:
            n[0] += 1
            return json_request_body(_product(n[0]))

        def usual() -> Any:
            return session.request("POST", f"{url}/api/v1/products", data=body(), headers=headers, timeout=(5, 30))

        def through(curl: bool) -> Any:
            def call() -> Any:
                settings.OUTBOUND_CURL = curl
                kwargs = {"data": body(), "headers": dict(headers), "timeout": (5, 30)}
                return session_send(session, "POST", f"{url}/api/v1/products", kwargs)

            return call

        transports = {"Session.request": usual, "session_send, requests' adapter": through(False),
                      "session_send, libcurl": through(True)}  # fmt: skip
        figures: dict[str, dict[str, list[float]]] = {name: {"cpu": [], "wall": []} for name in transports}
        calls = dict.fromkeys(transports, args.calls)
        if args.store_pages > 0:
            woo_proc, woo = start("sandbox.woocommerce", "--products", "1000", ready="/_sandbox/stats")
            procs.append(woo_proc)
            store = shared_session(woo, guarded=True)
            fields = "id,name,slug,sku,type,status,price,regular_price,stock_quantity,stock_status,date_modified_gmt"
            page = [0]

            def store_page(curl: bool) -> Any:
                def call() -> Any:
                    settings.OUTBOUND_CURL = curl
                    page[0] = page[0] % 10 + 1
                    kwargs = {"params": {"per_page": 100, "page": page[0], "orderby": "id", "order": "asc",
                                         "_fields": fields},
                              "headers": {"Accept": "application/json", "User-Agent": "bench"},
                              "auth": ("ck_sandbox", "cs_sandbox"), "timeout": (5, 30)}  # fmt: skip
                    answer = session_send(store, "GET", f"{woo}/wp-json/wc/v3/products", kwargs)
                    answer.json()
                    return answer

                return call

            for name, curl in (("store page, requests' adapter", False), ("store page, libcurl", True)):
                transports[name] = store_page(curl)
                calls[name] = args.store_pages
                figures[name] = {"cpu": [], "wall": []}
        for _ in range(args.rounds):
            for name, call in transports.items():
                for _ in range(min(50, calls[name])):
                    call().raise_for_status()
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(calls[name]):
                    call().raise_for_status()
                figures[name]["cpu"].append((time.process_time() - cpu) / calls[name] * 1e6)
                figures[name]["wall"].append((time.perf_counter() - wall) / calls[name] * 1e6)
        for name, got in figures.items():
            print(json.dumps({"transport": name, "calls": calls[name], "rounds": args.rounds,
                              "cpu_us_per_call": round(statistics.median(got["cpu"])),
                              "wall_us_per_call": round(statistics.median(got["wall"]))}))  # fmt: skip
    finally:
        for started in procs:
            started.terminate()


def _token(url: str) -> str:
    import requests

    answer = requests.post(f"{url}/api/auth/token", json={"grant_type": "client_credentials", "client_id": "id",
                           "client_secret": "secret"}, headers={"Site-Id": "bench"}, timeout=10)  # fmt: skip
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def _product(n: int) -> dict[str, Any]:
    return {
        "external_id": f"bench-{n}", "title": f"Bench product {n}", "slug": f"bench-product-{n}",
        "description": "A product the transport benchmark writes. " * 20,
        "variants": [{"external_id": f"bench-{n}-{v}", "sku": f"BENCH-{n}-{v}", "position": v,
                      "options": [{"group": "Size", "value": str(v)}]} for v in range(3)],
    }  # fmt: skip


if __name__ == "__main__":
    main()
