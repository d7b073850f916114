"""Run the standard platform sandbox in the foreground: ``python -m sandbox.standard --port 8803``."""

from __future__ import annotations

import argparse
import contextlib
import time

from sandbox.faults import FaultConfig
from sandbox.server import SandboxServer, free_port, serve_forever_keepalive
from sandbox.standard.app import BROKEN_MODES, StandardSandbox
from sandbox.standard.store import DEFAULT_CAPABILITIES


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.standard", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8803)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--api-token", default="sandbox-token")
    parser.add_argument("--currency", default="GBP")
    parser.add_argument("--prices-include-tax", action="store_true")
    parser.add_argument(
        "--capabilities",
        default=",".join(DEFAULT_CAPABILITIES),
        help="comma-separated capabilities to announce (default: all)",
    )
    parser.add_argument("--sign-v1a", action="store_true", help="also sign webhooks with an Ed25519 key (v1a)")
    parser.add_argument(
        "--broken", default="", help=f"comma-separated deliberate faults: {', '.join(sorted(BROKEN_MODES))}"
    )
    parser.add_argument("--fault-500-rate", type=float, default=0.0)
    parser.add_argument("--fault-429-rate", type=float, default=0.0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--threads", type=int, default=16, help="gunicorn threads (keep-alive); 0: werkzeug's server")
    args = parser.parse_args(argv)
    if args.threads:
        args.port = free_port(args.host, args.port)
    url = f"http://{args.host}:{args.port}"
    faults = FaultConfig(
        error_500_rate=args.fault_500_rate, error_429_rate=args.fault_429_rate, latency_ms=args.latency_ms
    )

    def build() -> StandardSandbox:
        return StandardSandbox(
            products=args.products,
            customers=args.customers,
            orders=args.orders,
            seed=args.seed,
            api_token=args.api_token,
            currency=args.currency,
            prices_include_tax=args.prices_include_tax,
            capabilities=[c.strip() for c in args.capabilities.split(",") if c.strip()],
            sign_v1a=args.sign_v1a,
            broken=[b.strip() for b in args.broken.split(",") if b.strip()],
            faults=faults,
            base_url=url,
        )

    started = time.monotonic()
    if args.threads:
        serve_forever_keepalive(
            build, args.host, args.port, threads=args.threads, on_ready=lambda: announce(url, args, started)
        )
        return
    server = SandboxServer(build(), args.host, args.port)
    announce(server.url, args, started)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


def announce(url: str, args: argparse.Namespace, started: float) -> None:
    print(f"Standard platform sandbox at {url} (generated in {time.monotonic() - started:.1f}s)", flush=True)
    print(f"  Platform API: {url}/   token: {args.api_token}", flush=True)
    print(f"  control:      {url}/_sandbox/state", flush=True)


if __name__ == "__main__":
    main()
