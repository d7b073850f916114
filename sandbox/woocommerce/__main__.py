"""Run the WooCommerce sandbox in the foreground: ``python -m sandbox.woocommerce --port 8802``."""

from __future__ import annotations

import argparse
import contextlib
import time

from sandbox.faults import FaultConfig
from sandbox.server import SandboxServer, free_port, serve_forever_keepalive
from sandbox.woocommerce.app import WooCommerceSandbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.woocommerce", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8802)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--consumer-key", default="ck_sandbox")
    parser.add_argument("--consumer-secret", default="cs_sandbox")
    parser.add_argument("--currency", default="GBP")
    parser.add_argument("--weight-unit", default="kg")
    parser.add_argument("--prices-include-tax", action="store_true")
    parser.add_argument("--base-url", default=None, help="public URL of the store (default: http://HOST:PORT)")
    parser.add_argument("--webhook-timeout", type=float, default=10.0)
    parser.add_argument(
        "--allow-http-callbacks",
        action="store_true",
        help="accept http:// wc-auth callback URLs on non-loopback hosts too",
    )
    parser.add_argument("--fault-500-rate", type=float, default=0.0)
    parser.add_argument("--fault-429-rate", type=float, default=0.0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--max-concurrent", type=int, default=0, help="> 0: answer 503 above this many at once")
    parser.add_argument(
        "--no-variations-listing",
        action="store_true",
        help="answer like a store before WooCommerce 10.3: no GET /variations across products",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=16,
        help="serve with gunicorn (one process, this many threads, keep-alive); 0: werkzeug's simple server",
    )
    args = parser.parse_args(argv)
    if args.threads:
        args.port = free_port(args.host, args.port)
    started = time.monotonic()
    faults = FaultConfig(
        error_500_rate=args.fault_500_rate, error_429_rate=args.fault_429_rate, latency_ms=args.latency_ms,
        max_concurrent=args.max_concurrent,
    )  # fmt: skip

    def build() -> WooCommerceSandbox:
        return WooCommerceSandbox(
        products=args.products, customers=args.customers, orders=args.orders, seed=args.seed,
        consumer_key=args.consumer_key, consumer_secret=args.consumer_secret, currency=args.currency,
        weight_unit=args.weight_unit, faults=faults, base_url=args.base_url or f"http://{args.host}:{args.port}",
        prices_include_tax=args.prices_include_tax, webhook_timeout=args.webhook_timeout,
        allow_http_callbacks=args.allow_http_callbacks, variations_listing=not args.no_variations_listing,
        )  # fmt: skip

    if args.threads:
        url = f"http://{args.host}:{args.port}"
        serve_forever_keepalive(
            build, args.host, args.port, threads=args.threads, on_ready=lambda: announce(url, args, started)
        )
        return
    server = SandboxServer(build(), args.host, args.port)
    announce(server.url, args, started)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


def announce(url: str, args: argparse.Namespace, started: float) -> None:
    print(f"WooCommerce sandbox at {url} (generated in {time.monotonic() - started:.1f}s)", flush=True)
    print(f"  REST API:  {url}/wp-json/wc/v3/", flush=True)
    print(f"  keys:      consumer_key={args.consumer_key} consumer_secret={args.consumer_secret}", flush=True)
    print(f"  control:   {url}/_sandbox/state", flush=True)


if __name__ == "__main__":
    main()
