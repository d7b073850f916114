"""Shipping methods for a destination, chosen the way WooCommerce's own cart chooses them.

WooCommerce does not calculate shipping for orders made through its REST API (an order created there
carries only the shipping lines it is given), so the bridge reads the store's shipping zones and
reproduces ``WC_Shipping_Zone_Data_Store::get_zone_id_from_package`` (WooCommerce's own source):
zones in ``order`` then id order, first match wins; a zone matches on country, ``country:state`` or
continent, and when it also has postcode rules the postcode must match too; a zone without locations
matches everything; otherwise zone 0. Only the matched zone's enabled methods are offered.

Costs: ``flat_rate`` ``cost`` (a number or a formula with ``[qty]``, ``[cost]`` and ``[fee]``),
``free_shipping`` when its ``requires`` rule is met by the cart subtotal (coupons are not part of a
SparkLayer checkout, so coupon rules are never met), ``local_pickup`` its ``cost`` or 0. Shipping
classes are not applied: SparkLayer carts carry SKUs and prices, not shipping classes.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: WooCommerce's continent codes → the countries in them (``WC_Countries::get_continents``), trimmed to
#: the countries a B2B store is likely to ship to; a country not listed simply matches no continent.
CONTINENTS: dict[str, frozenset[str]] = {
    "EU": _codes(
        "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT JE LI LT LU LV MC MD "
        "ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK"
    ),
    "NA": _codes(
        "AG AI AW BB BL BM BQ BS BZ CA CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ MS MX NI PA PM "
        "PR SV SX TC TT US VC VG VI"
    ),
    "SA": _codes("AR BO BR CL CO EC FK GF GY PE PY SR UY VE"),
    "AS": _codes(
        "AE AF AM AZ BD BH BN BT CC CN CX GE HK ID IL IN IO IQ IR JO JP KG KH KP KR KW KZ LA LB LK MM MN "
        "MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE"
    ),
    "OC": _codes("AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS"),
    "AF": _codes(
        "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS LY MA MG ML MR "
        "MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM ZW"
    ),
    "AN": _codes("AQ BV GS HM TF"),
}

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Destination:
    country: str
    state: str
    postcode: str


@dataclass(frozen=True)
class ShippingRate:
    """One offered method: ``id`` is WooCommerce's rate id ``<method_id>:<instance_id>``."""

    id: str
    method_id: str
    instance_id: int
    name: str
    cost: Decimal

    def as_state(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method_id": self.method_id,
            "instance_id": self.instance_id,
            "name": self.name,
            "cost": str(self.cost),
        }


def normalise_postcode(postcode: str) -> str:
    """``wc_normalize_postcode``: upper case, no spaces or dashes."""
    return re.sub(r"[\s\-]", "", postcode or "").upper()


def postcode_matches(rule: str, postcode: str) -> bool:
    """Exact, wildcard (``SW1*``) or numeric range (``90210...90299``) postcode rules."""
    code = normalise_postcode(postcode)
    rule = rule.strip().upper()
    if "..." in rule:
        low, _, high = rule.partition("...")
        low, high = normalise_postcode(low), normalise_postcode(high)
        if all(part.isascii() and part.isdigit() for part in (code, low, high)):
            return int(low) <= int(code) <= int(high)
        return low <= code <= high
    rule = normalise_postcode(rule)
    if rule.endswith("*"):
        return code.startswith(rule[:-1])
    return code == rule


def zone_matches(locations: Sequence[Mapping[str, Any]], destination: Destination) -> bool:
    if not locations:
        return True
    region_codes = {(loc.get("type"), str(loc.get("code") or "").upper()) for loc in locations}
    country = destination.country.upper()
    state_code = f"{country}:{destination.state.upper()}"
    continent = next((code for code, members in CONTINENTS.items() if country in members), "")
    regions = [(kind, code) for kind, code in region_codes if kind in ("country", "state", "continent")]
    # A zone holding only postcode rules matches nothing: WooCommerce's query needs a region row to match.
    region_ok = any(
        (kind == "country" and code == country)
        or (kind == "state" and code == state_code)
        or (kind == "continent" and code == continent)
        for kind, code in regions
    )
    postcodes = [str(loc.get("code") or "") for loc in locations if loc.get("type") == "postcode"]
    postcode_ok = not postcodes or any(postcode_matches(rule, destination.postcode) for rule in postcodes)
    return region_ok and postcode_ok


def ordered_zones(zones: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Zones in matching order; zone 0 ("everywhere else") is never matched by location."""
    return sorted(
        (z for z in zones if int(z.get("id") or 0) != 0), key=lambda z: (int(z.get("order") or 0), int(z["id"]))
    )


def match_zone(
    zones: Sequence[Mapping[str, Any]],
    destination: Destination,
    locations_of: Callable[[int], Sequence[Mapping[str, Any]]],
) -> int:
    """The id of the zone serving ``destination``; reads locations lazily, stopping at the first match."""
    for zone in ordered_zones(zones):
        if zone_matches(locations_of(int(zone["id"])), destination):
            return int(zone["id"])
    return 0


def setting(method: Mapping[str, Any], key: str) -> str:
    value = ((method.get("settings") or {}).get(key) or {}).get("value")
    return "" if value is None else str(value)


def to_decimal(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def _evaluate(node: ast.AST) -> Decimal:
    """Arithmetic only (numbers, + - * /, unary minus, brackets), like ``WC_Eval_Math``; anything else fails."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return Decimal(str(node.value))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return Decimal(_OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand)
    raise ValueError("unsupported expression")


def _fee(shortcode: str, cost: Decimal) -> Decimal:
    """``[fee percent="10" min_fee="2" max_fee="20"]`` on the cart cost."""
    attrs = dict(re.findall(r'(\w+)="([^"]*)"', shortcode))
    fee = cost * (to_decimal(attrs.get("percent")) or Decimal(0)) / 100
    minimum, maximum = to_decimal(attrs.get("min_fee")), to_decimal(attrs.get("max_fee"))
    if minimum is not None and fee < minimum:
        fee = minimum
    if maximum is not None and maximum > 0 and fee > maximum:
        fee = maximum
    return fee


def flat_rate_cost(expression: str, *, quantity: int, cost: Decimal) -> Decimal | None:
    """A flat-rate ``cost`` setting evaluated for a cart; None when it cannot be read (method not offered)."""
    text = (expression or "").strip()
    if not text:
        return Decimal(0)
    text = re.sub(r"\[fee[^\]]*\]", lambda m: str(_fee(m.group(0), cost)), text)
    text = text.replace("[qty]", str(quantity)).replace("[cost]", str(cost))
    text = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
    try:
        value = _evaluate(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, InvalidOperation, ArithmeticError):
        return None
    return max(value, Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)


def free_shipping_allowed(method: Mapping[str, Any], subtotal: Decimal) -> bool:
    requires = setting(method, "requires")
    minimum = to_decimal(setting(method, "min_amount")) or Decimal(0)
    if requires == "":
        return True
    if requires in ("min_amount", "either"):
        return subtotal >= minimum
    return False  # "coupon" and "both" need a free-shipping coupon, which a SparkLayer cart never has


def rates_for(methods: Sequence[Mapping[str, Any]], *, subtotal: Decimal, quantity: int) -> list[ShippingRate]:
    """The enabled methods of a zone as offered rates, in the zone's method order."""
    rates = []
    for method in sorted(methods, key=lambda m: (int(m.get("order") or 0), int(m.get("instance_id") or 0))):
        if not method.get("enabled"):
            continue
        method_id = str(method.get("method_id") or "")
        cost: Decimal | None
        if method_id == "flat_rate":
            cost = flat_rate_cost(setting(method, "cost"), quantity=quantity, cost=subtotal)
        elif method_id == "free_shipping":
            cost = Decimal("0.00") if free_shipping_allowed(method, subtotal) else None
        elif method_id == "local_pickup":
            cost = flat_rate_cost(setting(method, "cost"), quantity=quantity, cost=subtotal)
        else:
            continue  # plugin methods compute their rates in PHP; the bridge cannot quote them
        if cost is None:
            continue
        instance_id = int(method.get("instance_id") or method.get("id") or 0)
        name = setting(method, "title") or str(method.get("title") or method.get("method_title") or method_id)
        rates.append(ShippingRate(f"{method_id}:{instance_id}", method_id, instance_id, name, cost))
    return rates
