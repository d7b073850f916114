"""Run the randomized convergence walk (``tests/convergence/``) over many seeds; count how many converge.

    .venv/bin/python bench/convergence.py --seeds 200 [--start 1] [--steps 25] [--keep-going]

One SparkLayer sandbox, one WooCommerce sandbox and one real Celery worker serve every seed (startup
is paid once); each seed gets a fresh store, its own SparkLayer site and its own connection. Prints
per seed "converged" or "DIVERGED" and its time, then "converged X/N" and the kinds of difference
seen over the diverged seeds. A diverged seed prints its differences and its action log; replay it
with ``--start SEED --seeds 1``. Stops at the first divergence unless ``--keep-going``.

Uses its own database (``--database``; default ``$DATABASE_URL`` with ``_convergence`` appended,
created and migrated here) and its own Redis databases on ``$CELERY_BROKER_URL``'s server: 9 for
the broker, 11 for the cache (``BENCH_BROKER_URL`` / ``BENCH_CACHE_URL`` override them).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database  # noqa: E402


def redis_database(url: str, number: int) -> str:
    """``url`` (a Redis URL) pointing at database ``number`` of the same server."""
    parts = urlsplit(url or "redis://127.0.0.1:6379/0")
    return urlunsplit((parts.scheme, parts.netloc, f"/{number}", "", ""))


def default_database() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return (
        f"{url}_convergence" if url.startswith("postgres") else "postgres://postgres@127.0.0.1:5432/bench_convergence"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds to run")
    parser.add_argument("--start", type=int, default=1, help="the first seed")
    parser.add_argument("--steps", type=int, default=None, help="walk steps per seed (default: the CI test's)")
    parser.add_argument("--keep-going", action="store_true", help="run every seed even after a divergence")
    parser.add_argument("--database", default=None, help="PostgreSQL URL of this benchmark's own database")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes of the Celery worker")
    args = parser.parse_args()

    database = args.database or default_database()
    broker = os.environ.get("CELERY_BROKER_URL", "")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "ignite_bridge.settings.test",
            "DATABASE_URL": database,
            "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL") or redis_database(broker, 9),
            "CELERY_RESULT_BACKEND": "",
            "CACHE_URL": os.environ.get("BENCH_CACHE_URL") or redis_database(broker, 11),
            "LOG_LEVEL": "WARNING",
        }
    )
    ensure_database(database)

    import django

    django.setup()
    logging.disable(logging.WARNING)  # the sandboxes log every dropped connection the faults make
    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command

    from connections.models import Connection
    from tests.convergence.environment import Environment
    from tests.convergence.report import full_report, kinds, one_line
    from tests.convergence.walk import DEFAULT_STEPS, run_seed
    from tests.workers import worker_environment

    call_command("migrate", verbosity=0)
    Connection.objects.all().delete()  # this benchmark's own database: every seed starts from nothing
    caches["default"].clear()
    steps = args.steps or DEFAULT_STEPS

    started = time.monotonic()
    env = Environment(base_env=worker_environment(), log_dir=ROOT / "var", concurrency=args.concurrency).start()
    for name, value in env.process_settings().items():
        setattr(settings, name, value)
    print(f"started both sandboxes and a worker in {time.monotonic() - started:.1f}s; {steps} steps a seed",
          flush=True)  # fmt: skip
    converged, ran = 0, 0
    seen: dict[str, list[int]] = defaultdict(list)
    try:
        for seed in range(args.start, args.start + args.seeds):
            result = run_seed(env, seed, steps=steps)
            ran += 1
            if result.converged:
                converged += 1
                print(one_line(result), flush=True)
                continue
            print(full_report(result, env), flush=True)
            for kind in kinds(result):
                seen[kind].append(seed)
            if not args.keep_going:
                break
    finally:
        env.stop()
    print(f"converged {converged}/{ran}" + (f" (stopped at the first divergence of {args.seeds})" if ran < args.seeds
                                             else ""))  # fmt: skip
    if seen:
        print("kinds of difference (seeds showing each):")
        for kind, seeds in sorted(seen.items(), key=lambda item: -len(item[1])):
            listed = ", ".join(map(str, seeds[:12])) + (" ..." if len(seeds) > 12 else "")
            print(f"  {len(seeds):>4}  {kind}  [{listed}]")
    sys.exit(0 if converged == ran else 1)


if __name__ == "__main__":
    main()
