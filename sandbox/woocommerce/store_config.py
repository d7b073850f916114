"""The store's configuration: settings groups, tax rates and shipping zones, as WooCommerce exposes them.

Orders compute their taxes from these rates and options, so they live in one object the REST
routes both read and (for settings) write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _option(option_id: str, label: str, value: str, default: str, kind: str = "text", **extra: Any) -> dict[str, Any]:
    return {
        "id": option_id,
        "label": label,
        "description": "",
        "type": kind,
        "default": default,
        "tip": "",
        "value": value,
        **extra,
    }


def default_settings(*, currency: str, weight_unit: str, prices_include_tax: bool) -> dict[str, list[dict[str, Any]]]:
    checkbox = {"yes": "Yes", "no": "No"}
    return {
        "general": [
            _option("woocommerce_store_address", "Address line 1", "1 Sandbox Street", ""),
            _option("woocommerce_store_address_2", "Address line 2", "", ""),
            _option("woocommerce_store_city", "City", "London", ""),
            _option("woocommerce_default_country", "Country / State", "GB", "US:CA", "select"),
            _option("woocommerce_store_postcode", "Postcode / ZIP", "EC1A 1BB", ""),
            _option("woocommerce_allowed_countries", "Selling location(s)", "all", "all", "select"),
            _option("woocommerce_ship_to_countries", "Shipping location(s)", "", "", "select"),
            _option("woocommerce_calc_taxes", "Enable taxes", "yes", "no", "checkbox"),
            _option("woocommerce_enable_coupons", "Enable coupons", "yes", "yes", "checkbox"),
            _option("woocommerce_currency", "Currency", currency, "USD", "select"),
            _option("woocommerce_currency_pos", "Currency position", "left", "left", "select"),
            _option("woocommerce_price_thousand_sep", "Thousand separator", ",", ","),
            _option("woocommerce_price_decimal_sep", "Decimal separator", ".", "."),
            _option("woocommerce_price_num_decimals", "Number of decimals", "2", "2", "number"),
        ],
        "products": [
            _option(
                "woocommerce_weight_unit",
                "Weight unit",
                weight_unit,
                "kg",
                "select",
                options={"kg": "kg", "g": "g", "lbs": "lbs", "oz": "oz"},
            ),
            _option(
                "woocommerce_dimension_unit",
                "Dimensions unit",
                "cm",
                "cm",
                "select",
                options={"m": "m", "cm": "cm", "mm": "mm", "in": "in", "yd": "yd"},
            ),
            _option("woocommerce_manage_stock", "Manage stock", "yes", "yes", "checkbox"),
        ],
        "tax": [
            _option(
                "woocommerce_prices_include_tax",
                "Prices entered with tax",
                "yes" if prices_include_tax else "no",
                "no",
                "radio",
                options={
                    "yes": "Yes, I will enter prices inclusive of tax",
                    "no": "No, I will enter prices exclusive of tax",
                },
            ),
            _option("woocommerce_tax_based_on", "Calculate tax based on", "shipping", "shipping", "select"),
            _option("woocommerce_shipping_tax_class", "Shipping tax class", "inherit", "inherit", "select"),
            _option("woocommerce_tax_round_at_subtotal", "Rounding", "no", "no", "checkbox", options=checkbox),
            _option("woocommerce_tax_display_shop", "Display prices in the shop", "incl", "excl", "select"),
            _option(
                "woocommerce_tax_display_cart", "Display prices during cart and checkout", "incl", "excl", "select"
            ),
        ],
    }


def default_tax_rates() -> list[dict[str, Any]]:
    rows = [
        (1, "GB", "", "20.0000", "VAT", "standard"),
        (2, "GB", "", "5.0000", "VAT", "reduced-rate"),
        (3, "US", "CA", "7.2500", "CA Tax", "standard"),
        (4, "DE", "", "19.0000", "MwSt", "standard"),
    ]
    return [
        {
            "id": rate_id,
            "country": country,
            "state": state,
            "postcode": "",
            "city": "",
            "postcodes": [],
            "cities": [],
            "rate": rate,
            "name": name,
            "priority": 1,
            "compound": False,
            "shipping": True,
            "order": index,
            "class": tax_class,
        }
        for index, (rate_id, country, state, rate, name, tax_class) in enumerate(rows)
    ]


def default_shipping() -> tuple[list[dict[str, Any]], dict[int, list[dict[str, Any]]], dict[int, list[dict[str, Any]]]]:
    zones = [
        {"id": 1, "name": "United Kingdom", "order": 0},
        {"id": 2, "name": "Europe", "order": 1},
        {"id": 0, "name": "Locations not covered by your other zones", "order": 0},
    ]
    locations = {1: [{"code": "GB", "type": "country"}], 2: [{"code": "EU", "type": "continent"}], 0: []}

    def method(instance_id: int, method_id: str, title: str, order: int, settings: dict[str, str]) -> dict[str, Any]:
        return {
            "id": instance_id,
            "instance_id": instance_id,
            "title": title,
            "order": order,
            "enabled": True,
            "method_id": method_id,
            "method_title": {"flat_rate": "Flat rate", "free_shipping": "Free shipping"}.get(method_id, "Local pickup"),
            "method_description": "",
            "settings": {
                key: {
                    "id": key,
                    "label": key.replace("_", " ").title(),
                    "description": "",
                    "type": "text",
                    "value": value,
                    "default": "",
                    "tip": "",
                    "placeholder": "",
                }
                for key, value in {"title": title, **settings}.items()
            },
        }

    methods = {
        1: [
            method(1, "flat_rate", "Standard delivery", 1, {"cost": "4.95", "tax_status": "taxable", "type": "class"}),
            method(
                2,
                "free_shipping",
                "Free delivery",
                2,
                {"requires": "min_amount", "min_amount": "75.00", "ignore_discounts": "no"},
            ),
        ],
        2: [method(3, "flat_rate", "EU delivery", 1, {"cost": "12.00", "tax_status": "taxable", "type": "class"})],
        0: [method(4, "flat_rate", "International", 1, {"cost": "25.00", "tax_status": "taxable", "type": "class"})],
    }
    return zones, locations, methods


@dataclass
class StoreConfig:
    """Settings, tax rates and shipping zones of the one store."""

    settings: dict[str, list[dict[str, Any]]]
    tax_rates: list[dict[str, Any]] = field(default_factory=default_tax_rates)
    zones: list[dict[str, Any]] = field(default_factory=list)
    zone_locations: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    zone_methods: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    @classmethod
    def create(cls, *, currency: str, weight_unit: str, prices_include_tax: bool) -> StoreConfig:
        zones, locations, methods = default_shipping()
        return cls(
            settings=default_settings(
                currency=currency, weight_unit=weight_unit, prices_include_tax=prices_include_tax
            ),
            zones=zones,
            zone_locations=locations,
            zone_methods=methods,
        )

    def option(self, option_id: str) -> str:
        for options in self.settings.values():
            for option in options:
                if option["id"] == option_id:
                    return str(option["value"])
        raise KeyError(option_id)

    @property
    def currency(self) -> str:
        return self.option("woocommerce_currency")

    @property
    def prices_include_tax(self) -> bool:
        return self.option("woocommerce_prices_include_tax") == "yes"

    @property
    def base_country(self) -> tuple[str, str]:
        country, _, state = self.option("woocommerce_default_country").partition(":")
        return country, state
