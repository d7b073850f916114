"""Start the SparkLayer sandbox in the foreground: ``python -m sandbox.sparklayer --port 8801``."""

from __future__ import annotations

import argparse
import sys

from sandbox.faults import FaultConfig
from sandbox.server import SandboxServer, free_port, serve_forever_keepalive
from sandbox.sparklayer.app import SparkLayerSandbox


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.sparklayer", description="Local SparkLayer API sandbox.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8801)
    parser.add_argument("--token-lifetime", type=int, default=3600, help="seconds an access token stays valid")
    parser.add_argument("--max-sync-log-errors", type=int, default=5000)
    parser.add_argument("--fault-500-rate", type=float, default=0.0, help="share of API calls answered 500")
    parser.add_argument("--fault-429-rate", type=float, default=0.0, help="share of API calls answered 429")
    parser.add_argument("--fault-409-rate", type=float, default=0.0, help="share of API calls answered 409")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share of API calls whose connection is dropped")
    parser.add_argument("--retry-after", default="1", help="Retry-After sent with injected 429s (seconds or HTTP date)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every API call")
    parser.add_argument("--max-concurrent", type=int, default=0, help="> 0: answer 503 above this many at once")
    parser.add_argument(
        "--rate-limit", type=float, default=0.0, help="API calls per rolling second per site; more get 429 (0: none)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for the fault dice, so a run can be repeated")
    parser.add_argument(
        "--threads",
        type=int,
        default=16,
        help="serve with gunicorn (one process, this many threads, keep-alive); 0: werkzeug's simple server",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    faults = FaultConfig(
        error_500_rate=args.fault_500_rate,
        error_429_rate=args.fault_429_rate,
        error_409_rate=args.fault_409_rate,
        drop_rate=args.drop_rate,
        retry_after=args.retry_after,
        latency_ms=args.latency_ms,
        seed=args.seed,
        rate_limit_per_second=args.rate_limit,
        max_concurrent=args.max_concurrent,
    )
    app = SparkLayerSandbox(
        token_lifetime=args.token_lifetime, faults=faults, max_sync_log_errors=args.max_sync_log_errors
    )
    if args.threads:
        port = free_port(args.host, args.port)
        url = f"http://{args.host}:{port}"
        serve_forever_keepalive(
            lambda: app,
            args.host,
            port,
            threads=args.threads,
            on_ready=lambda: print(f"SparkLayer sandbox listening on {url}", flush=True),
        )
        return
    server = SandboxServer(app, args.host, args.port)
    print(f"SparkLayer sandbox listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        sys.stdout.write("stopped\n")


if __name__ == "__main__":
    main()
