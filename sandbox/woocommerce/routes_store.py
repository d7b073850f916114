"""REST routes for store configuration and webhooks: settings, system status, taxes, shipping, webhooks."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.woocommerce import webhooks
from sandbox.woocommerce.common import WooError
from sandbox.woocommerce.listing import enum_param, parse_list_query
from sandbox.woocommerce.records import json_body
from sandbox.woocommerce.rest import Ctx, Reply, batch, paginate
from sandbox.woocommerce.routing import Route

GROUP_LABELS = {"general": "General", "products": "Products", "tax": "Tax"}


def _group(ctx: Ctx, group_id: str) -> list[dict[str, Any]]:
    group = ctx.store.config.settings.get(group_id)
    if group is None:
        raise WooError(404, "rest_setting_setting_group_invalid", "Invalid setting group.")
    return group


def _option(ctx: Ctx, group_id: str, option_id: str) -> dict[str, Any]:
    for option in _group(ctx, group_id):
        if option["id"] == option_id:
            return option
    raise WooError(404, "rest_setting_setting_invalid", "Invalid setting.")


def settings_groups(ctx: Ctx) -> Reply:
    return Reply([{"id": gid, "label": label, "description": "", "parent_id": "", "sub_groups": []}
                  for gid, label in GROUP_LABELS.items()])  # fmt: skip


def settings_group(ctx: Ctx, group_id: str) -> Reply:
    return Reply([{**copy.deepcopy(option), "group_id": group_id} for option in _group(ctx, group_id)])


def setting_get(ctx: Ctx, group_id: str, option_id: str) -> Reply:
    return Reply({**copy.deepcopy(_option(ctx, group_id, option_id)), "group_id": group_id})


def setting_update(ctx: Ctx, group_id: str, option_id: str) -> Reply:
    option = _option(ctx, group_id, option_id)
    data = json_body(ctx.body)
    if "value" in data:
        option["value"] = data["value"]
        ctx.store.changed()
    return Reply({**copy.deepcopy(option), "group_id": group_id})


def settings_batch(ctx: Ctx, group_id: str) -> Reply:
    def update(option_id: Any, data: dict[str, Any]) -> dict[str, Any]:
        option = _option(ctx, group_id, str(data.get("id")))
        option["value"] = data.get("value", option["value"])
        ctx.store.changed()
        return {**copy.deepcopy(option), "group_id": group_id}

    results = [update(item.get("id"), item) for item in json_body(ctx.body).get("update", [])]
    return Reply({"update": results})


def system_status(ctx: Ctx) -> Reply:
    store, config = ctx.store, ctx.store.config
    body = {
        "environment": {
            "home_url": store.base_url, "site_url": store.base_url, "store_id": "sandbox", "version": "9.8.5",
            "log_directory": "/var/www/wp-content/uploads/wc-logs/", "log_directory_writable": True,
            "wp_version": "6.8.1", "wp_multisite": False, "wp_memory_limit": 268435456, "wp_debug_mode": False,
            "wp_cron": True, "language": "en_GB", "external_object_cache": None, "server_info": "sandbox (werkzeug)",
            "php_version": "8.2.0", "php_post_max_size": 67108864, "php_max_execution_time": 30,
            "php_max_input_vars": 1000, "curl_version": "8.5.0, OpenSSL/3.0.13", "suhosin_installed": False,
            "max_upload_size": 67108864, "mysql_version": "8.0.36", "mysql_version_string": "8.0.36",
            "default_timezone": "UTC", "fsockopen_or_curl_enabled": True, "soapclient_enabled": True,
            "domdocument_enabled": True, "gzip_enabled": True, "mbstring_enabled": True,
            "remote_post_successful": True, "remote_post_response": 200, "remote_get_successful": True,
            "remote_get_response": 200,
        },
        "database": {"wc_database_version": "9.8.5", "database_prefix": "wp_", "database_tables": {}},
        "active_plugins": [{"plugin": "woocommerce/woocommerce.php", "name": "WooCommerce", "version": "9.8.5",
                            "version_latest": "9.8.5", "url": "https://woocommerce.com/", "author_name": "Automattic",
                            "author_url": "https://woocommerce.com", "network_activated": False}],
        "inactive_plugins": [], "dropins_mu_plugins": {"dropins": [], "mu_plugins": []},
        "theme": {"name": "Storefront", "version": "4.6.1", "is_child_theme": False, "has_woocommerce_support": True},
        "settings": {
            "api_enabled": True, "force_ssl": False, "currency": config.currency,
            "currency_symbol": {"GBP": "&pound;", "USD": "&#36;", "EUR": "&euro;"}.get(config.currency, ""),
            "currency_position": config.option("woocommerce_currency_pos"),
            "thousand_separator": config.option("woocommerce_price_thousand_sep"),
            "decimal_separator": config.option("woocommerce_price_decimal_sep"),
            "number_of_decimals": int(config.option("woocommerce_price_num_decimals")),
            "geolocation_enabled": False, "taxonomies": {}, "product_visibility_terms": {},
            "woocommerce_com_connected": "no", "enforce_approved_download_dirs": True, "order_datastore":
            "Automattic\\WooCommerce\\Internal\\DataStores\\Orders\\OrdersTableDataStore", "HPOS_enabled": True,
        },
        "security": {"secure_connection": store.base_url.startswith("https://"), "hide_errors": True},
        "pages": [],
        "post_type_counts": [{"type": "product", "count": str(len(store.products))}],
    }  # fmt: skip
    return Reply(body)


def tax_list(ctx: Ctx) -> Reply:
    query = parse_list_query(ctx.args, orderby=("id", "order", "priority"), default_orderby="order",
                             default_order="asc")  # fmt: skip
    tax_class = ctx.args.get("class")
    rates = {r["id"]: r for r in ctx.store.config.tax_rates if not tax_class or r["class"] == tax_class}
    ids = sorted(rates, key=lambda i: rates[i]["order"] if query.orderby == "order" else i,
                 reverse=query.order == "desc")  # fmt: skip
    return paginate(ctx, query, ids, lambda i: copy.deepcopy(rates[i]))


def tax_get(ctx: Ctx, rate_id: int) -> Reply:
    for rate in ctx.store.config.tax_rates:
        if rate["id"] == rate_id:
            return Reply(copy.deepcopy(rate))
    raise WooError(404, "woocommerce_rest_invalid_id", "Invalid resource ID.")


def tax_classes(ctx: Ctx) -> Reply:
    return Reply([{"slug": "standard", "name": "Standard"}, {"slug": "reduced-rate", "name": "Reduced rate"},
                  {"slug": "zero-rate", "name": "Zero rate"}])  # fmt: skip


def _zone(ctx: Ctx, zone_id: int) -> dict[str, Any]:
    for zone in ctx.store.config.zones:
        if zone["id"] == zone_id:
            return zone
    raise WooError(404, "woocommerce_rest_shipping_zone_invalid", "Resource does not exist.")


def zones_list(ctx: Ctx) -> Reply:
    return Reply(copy.deepcopy(ctx.store.config.zones))


def zone_get(ctx: Ctx, zone_id: int) -> Reply:
    return Reply(copy.deepcopy(_zone(ctx, zone_id)))


def zone_locations(ctx: Ctx, zone_id: int) -> Reply:
    _zone(ctx, zone_id)
    return Reply(copy.deepcopy(ctx.store.config.zone_locations.get(zone_id, [])))


def zone_locations_update(ctx: Ctx, zone_id: int) -> Reply:
    _zone(ctx, zone_id)
    if zone_id == 0:
        raise WooError(403, "woocommerce_rest_shipping_zone_locations_invalid_zone",
                       "The \"locations not covered by your other zones\" zone cannot be updated.")  # fmt: skip
    body = ctx.body if isinstance(ctx.body, list) else []
    ctx.store.config.zone_locations[zone_id] = [{"code": str(i.get("code")), "type": str(i.get("type", "country"))}
                                                 for i in body]  # fmt: skip
    return Reply(copy.deepcopy(ctx.store.config.zone_locations[zone_id]))


def zone_methods(ctx: Ctx, zone_id: int) -> Reply:
    _zone(ctx, zone_id)
    return Reply(copy.deepcopy(ctx.store.config.zone_methods.get(zone_id, [])))


def zone_method_get(ctx: Ctx, zone_id: int, instance_id: int) -> Reply:
    _zone(ctx, zone_id)
    for method in ctx.store.config.zone_methods.get(zone_id, []):
        if method["instance_id"] == instance_id:
            return Reply(copy.deepcopy(method))
    raise WooError(404, "woocommerce_rest_shipping_zone_method_invalid", "Resource does not exist.")


def shipping_methods(ctx: Ctx) -> Reply:
    return Reply([{"id": "flat_rate", "title": "Flat rate", "description": ""},
                  {"id": "free_shipping", "title": "Free shipping", "description": ""},
                  {"id": "local_pickup", "title": "Local pickup", "description": ""}])  # fmt: skip


def webhook_list(ctx: Ctx) -> Reply:
    query = parse_list_query(ctx.args, orderby=("date", "id", "title"), default_orderby="date")
    status = enum_param(ctx.args, "status", "all", ("all", "active", "paused", "disabled"))
    ids = webhooks.list_ids(ctx.store, query, status=status)
    return paginate(ctx, query, ids, lambda i: webhooks.render(ctx.store, i))


def webhook_get(ctx: Ctx, webhook_id: int) -> Reply:
    return Reply(webhooks.render(ctx.store, webhook_id))


def webhook_create(ctx: Ctx) -> Reply:
    return Reply(webhooks.create(ctx.store, json_body(ctx.body)), 201)


def webhook_update(ctx: Ctx, webhook_id: int) -> Reply:
    return Reply(webhooks.update(ctx.store, webhook_id, json_body(ctx.body)))


def webhook_delete(ctx: Ctx, webhook_id: int) -> Reply:
    return Reply(webhooks.delete(ctx.store, webhook_id, force=ctx.force))


def webhook_batch(ctx: Ctx) -> Reply:
    store = ctx.store
    return batch(ctx, create=lambda d: webhooks.create(store, d), update=lambda i, d: webhooks.update(store, i, d),
                 delete=lambda i: webhooks.delete(store, i, force=True))  # fmt: skip


ROUTES = [
    Route("/settings", ("GET",), "list", settings_groups),
    Route("/settings/<group_id>", ("GET",), "list", settings_group),
    Route("/settings/<group_id>/batch", ("POST", "PUT", "PATCH"), "batch", settings_batch),
    Route("/settings/<group_id>/<option_id>", ("GET",), "view", setting_get),
    Route("/settings/<group_id>/<option_id>", ("POST", "PUT", "PATCH"), "edit", setting_update),
    Route("/system_status", ("GET",), "view", system_status),
    Route("/taxes", ("GET",), "list", tax_list),
    Route("/taxes/classes", ("GET",), "list", tax_classes),
    Route("/taxes/<int:rate_id>", ("GET",), "view", tax_get),
    Route("/shipping/zones", ("GET",), "list", zones_list),
    Route("/shipping/zones/<int:zone_id>", ("GET",), "view", zone_get),
    Route("/shipping/zones/<int:zone_id>/locations", ("GET",), "list", zone_locations),
    Route("/shipping/zones/<int:zone_id>/locations", ("POST", "PUT", "PATCH"), "edit", zone_locations_update),
    Route("/shipping/zones/<int:zone_id>/methods", ("GET",), "list", zone_methods),
    Route("/shipping/zones/<int:zone_id>/methods/<int:instance_id>", ("GET",), "view", zone_method_get),
    Route("/shipping_methods", ("GET",), "list", shipping_methods),
    Route("/webhooks", ("GET",), "list", webhook_list),
    Route("/webhooks", ("POST",), "create", webhook_create),
    Route("/webhooks/batch", ("POST", "PUT", "PATCH"), "batch", webhook_batch),
    Route("/webhooks/<int:webhook_id>", ("GET",), "view", webhook_get),
    Route("/webhooks/<int:webhook_id>", ("POST", "PUT", "PATCH"), "edit", webhook_update),
    Route("/webhooks/<int:webhook_id>", ("DELETE",), "delete", webhook_delete),
]
