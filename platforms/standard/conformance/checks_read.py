"""Checks of the mandatory, read-only half of the Platform API."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from platforms.standard.capabilities import CAPABILITIES
from platforms.standard.conformance import schema
from platforms.standard.conformance.context import RESOURCES, Context
from platforms.standard.conformance.probe import Answer, dumps
from platforms.standard.conformance.report import CheckResult
from platforms.standard.mapping.common import parse_timestamp

#: endpoints that must refuse a missing or wrong token (any record id will do for the single reads)
AUTHENTICATED = ("", "settings", "products", "products/ids", "customers", "customers/ids", "orders", "orders/ids")
#: single records read back and compared with the listing, per type
SAMPLE = 5


def expect(result: CheckResult, answer: Answer, what: str, *, status: int = 200) -> bool:
    if answer.status == status:
        return True
    result.fail(f"{what}: expected HTTP {status}, got {answer.says()}")
    return False


def valid(result: CheckResult, reference: str, body: Any, *, where: str, path: str = "", group: str = "") -> bool:
    """Whether ``body`` matches the schema; each violation is a failure (repeats of one counted)."""
    problems = schema.violations(reference, body, where=where, path=path, group=group)
    for kind, problem in problems:
        result.fail(problem, kind=kind)
    return not problems


def discovery(ctx: Context) -> None:
    with ctx.check("discovery (GET /)") as result:
        answer = ctx.call("GET", "")
        if not expect(result, answer, "GET /") or not valid(result, "discovery.json", answer.body, where=""):
            return
        announced = [str(c) for c in answer.body.get("capabilities") or []]
        ctx.capabilities = frozenset(announced)
        unknown = sorted(set(announced) - set(CAPABILITIES))
        if unknown:
            result.warn(f"unknown capabilities (typo?): {', '.join(unknown)}; known: {', '.join(CAPABILITIES)}")
        result.note(f"capabilities: {', '.join(announced) or 'none'}")


def authentication(ctx: Context) -> None:
    with ctx.check("authentication (401 without the token)") as result:
        for path in AUTHENTICATED:
            for label, token in (("no token", ""), ("a wrong token", f"wrong-{ctx.run_id}")):
                answer = ctx.call("GET", path, token=token)
                if answer.status != 401:
                    result.fail(f"GET /{path} with {label}: expected HTTP 401, got {answer.says()}")


def settings(ctx: Context) -> None:
    with ctx.check("settings (GET /settings)") as result:
        answer = ctx.call("GET", "settings")
        if expect(result, answer, "GET /settings"):
            valid(result, "settings.json", answer.body, where="")


def walk(ctx: Context, result: CheckResult, path: str, *, limit: int, params: dict[str, Any] | None = None,
         item_schema: str | None = None, cap: int | None = None, totals: list[Any] | None = None,
         ) -> tuple[list[Any], bool]:  # fmt: skip
    """Every item of a listing, checking each page's envelope (and items); (items, complete).
    ``totals`` receives each page's optional ``total``."""
    items: list[Any] = []
    cursor: str | None = None
    pages = 0
    envelope = "common.json#/$defs/id_page" if item_schema is None else "common.json#/$defs/page"
    while True:
        pages += 1
        query = {**(params or {}), "limit": limit, **({"cursor": cursor} if cursor else {})}
        answer = ctx.call("GET", path, params=query)
        where = f"GET /{path} page {pages}"
        if not expect(result, answer, where) or not valid(result, envelope, answer.body, where=where):
            return items, False
        data = answer.body["data"]
        if totals is not None:
            totals.append(answer.body.get("total"))
        if len(data) > limit:
            result.fail(f"{where}: {len(data)} items for limit={limit}")
        if item_schema is not None:
            for position, item in enumerate(data):
                valid(result, item_schema, item, where=where, path=f"data[{position}]", group=f"GET /{path}")
        items.extend(data)
        following = answer.body["next_cursor"]
        if following is None:
            return items, True
        if following == cursor:
            result.fail(f"{where}: next_cursor is the cursor that was asked for (the walk would never end)")
            return items, False
        if cap is not None and len(items) >= cap:
            result.note(f"stopped after {len(items)} records (--max-records)")
            return items, False
        cursor = following


def listings(ctx: Context) -> None:
    for resource, reference in RESOURCES.items():
        with ctx.check(f"listing: {resource}") as result:
            totals: list[Any] = []
            items, complete = walk(
                ctx, result, resource, limit=ctx.options.page_size, item_schema=reference,
                cap=ctx.options.max_records, totals=totals,
            )  # fmt: skip
            if complete and totals and totals[0] is not None and totals[0] != len(items):
                result.warn(f"GET /{resource}: total says {totals[0]} records, the walk returned {len(items)}")
            ids = [str(item.get("id")) for item in items if isinstance(item, Mapping)]
            twice = sorted(record_id for record_id, n in Counter(ids).items() if n > 1)
            if twice:
                result.fail(f"GET /{resource}: records returned more than once: {', '.join(twice[:10])}")
            ctx.listed[resource] = [dict(item) for item in items if isinstance(item, Mapping)]
            ctx.complete[resource] = complete and not twice
            result.note(f"{len(ids)} records read")


def id_listings(ctx: Context) -> None:
    for resource in RESOURCES:
        with ctx.check(f"ids: {resource} (consistent with the listing)") as result:
            ids, complete = walk(ctx, result, f"{resource}/ids", limit=1000)
            if not complete:
                continue
            listed = {str(item.get("id")) for item in ctx.listed.get(resource, [])}
            twice = sorted(record_id for record_id, n in Counter(map(str, ids)).items() if n > 1)
            if twice:
                result.fail(f"GET /{resource}/ids: ids returned more than once: {', '.join(twice[:10])}")
            if not ctx.complete.get(resource):
                result.skip(f"the {resource} listing was not read whole, so the two cannot be compared")
                continue
            missing, extra = sorted(listed - set(map(str, ids))), sorted(set(map(str, ids)) - listed)
            if missing:
                result.fail(f"GET /{resource}/ids leaves out {len(missing)} listed records: {', '.join(missing[:10])}")
            if extra:
                result.fail(f"GET /{resource}/ids has {len(extra)} ids the listing does not: {', '.join(extra[:10])}")


def single_records(ctx: Context) -> None:
    for resource, reference in RESOURCES.items():
        with ctx.check(f"single reads: {resource} (equal to the listing)") as result:
            listed = ctx.listed.get(resource) or []
            sample = listed[:SAMPLE] + listed[-SAMPLE:] if len(listed) > 2 * SAMPLE else listed
            for item in sample:
                record_id = str(item.get("id"))
                answer = ctx.call("GET", f"{resource}/{record_id}")
                where = f"GET /{resource}/{record_id}"
                group = f"GET /{resource}/{{id}}"
                if not expect(result, answer, where) or not valid(
                    result, reference, answer.body, where=where, group=group
                ):
                    continue
                differing = differences(item, answer.body)
                if differing:
                    result.fail(f"{where} differs from the listed record at {', '.join(differing[:8])}")
            missing = f"does-not-exist-{ctx.run_id}"
            answer = ctx.call("GET", f"{resource}/{missing}")
            expect(result, answer, f"GET /{resource}/{missing} (a record that does not exist)", status=404)
            if not listed:
                result.warn(f"no {resource} to read back: the store has none")


def differences(left: Any, right: Any, path: str = "") -> list[str]:
    """JSON paths where two records differ."""
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        found = []
        for key in sorted(set(left) | set(right)):
            found += differences(left.get(key), right.get(key), f"{path}.{key}" if path else str(key))
        return found
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        return [d for n, (a, b) in enumerate(zip(left, right, strict=True)) for d in differences(a, b, f"{path}[{n}]")]
    return [] if dumps(left) == dumps(right) else [path or "(the record)"]


def updated_after(ctx: Context) -> None:
    for resource, reference in RESOURCES.items():
        with ctx.check(f"updated_after: {resource}") as result:
            listed = ctx.listed.get(resource) or []
            stamps = sorted(
                (when, str(item.get("id"))) for item in listed if (when := parse_timestamp(item.get("updated_at")))
            )
            if not ctx.complete.get(resource) or not stamps:
                result.skip("needs a whole listing with updated_at values")
                continue
            bound, _ = stamps[len(stamps) // 2]
            expected = {record_id for when, record_id in stamps if when >= bound}
            bound_text = bound.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            items, complete = walk(
                ctx, result, resource, limit=ctx.options.page_size, params={"updated_after": bound_text},
                item_schema=reference,
            )  # fmt: skip
            if not complete:
                continue
            got = {str(item.get("id")) for item in items if isinstance(item, Mapping)}
            early = sorted(
                str(item.get("id"))
                for item in items
                if isinstance(item, Mapping) and (when := parse_timestamp(item.get("updated_at"))) and when < bound
            )
            if early:
                result.fail(f"updated_after={bound_text} returned records updated before it: {', '.join(early[:10])}")
            missed = sorted(expected - got)
            if missed:
                result.fail(
                    f"updated_after={bound_text} left out records updated at or after it: {', '.join(missed[:10])}"
                )
