"""Every field of a v3 product and variation with WooCommerce's defaults, in WooCommerce's order.

Generated and API-created records start from these, so both carry the full field set a client sees.
"""

from __future__ import annotations

from typing import Any


def product_skeleton(product_id: int, base_url: str) -> dict[str, Any]:
    """Every field of a v3 product with WooCommerce's defaults, in WooCommerce's order."""
    return {
        "id": product_id, "name": "", "slug": "", "permalink": f"{base_url}/?p={product_id}",
        "date_created": None, "date_created_gmt": None, "date_modified": None, "date_modified_gmt": None,
        "type": "simple", "status": "publish", "featured": False, "catalog_visibility": "visible",
        "description": "", "short_description": "", "sku": "", "price": "", "regular_price": "", "sale_price": "",
        "date_on_sale_from": None, "date_on_sale_from_gmt": None, "date_on_sale_to": None, "date_on_sale_to_gmt": None,
        "on_sale": False, "purchasable": True, "total_sales": 0, "virtual": False, "downloadable": False,
        "downloads": [], "download_limit": -1, "download_expiry": -1, "external_url": "", "button_text": "",
        "tax_status": "taxable", "tax_class": "", "manage_stock": False, "stock_quantity": None,
        "backorders": "no", "backorders_allowed": False, "backordered": False, "low_stock_amount": None,
        "sold_individually": False, "weight": "", "dimensions": {"length": "", "width": "", "height": ""},
        "shipping_required": True, "shipping_taxable": True, "shipping_class": "", "shipping_class_id": 0,
        "reviews_allowed": True, "average_rating": "0.00", "rating_count": 0, "upsell_ids": [], "cross_sell_ids": [],
        "parent_id": 0, "purchase_note": "", "categories": [], "tags": [], "images": [], "attributes": [],
        "default_attributes": [], "variations": [], "grouped_products": [], "menu_order": 0, "price_html": "",
        "related_ids": [], "meta_data": [], "stock_status": "instock", "has_options": False, "post_password": "",
        "global_unique_id": "",
    }  # fmt: skip


def variation_skeleton(variation_id: int, parent_id: int) -> dict[str, Any]:
    """Every field of a v3 variation with WooCommerce's defaults."""
    return {
        "id": variation_id, "parent_id": parent_id, "date_created": None, "date_created_gmt": None,
        "date_modified": None, "date_modified_gmt": None, "description": "", "permalink": "", "sku": "",
        "global_unique_id": "", "price": "", "regular_price": "", "sale_price": "",
        "date_on_sale_from": None, "date_on_sale_from_gmt": None, "date_on_sale_to": None, "date_on_sale_to_gmt": None,
        "on_sale": False, "status": "publish", "purchasable": True, "virtual": False, "downloadable": False,
        "downloads": [], "download_limit": -1, "download_expiry": -1, "tax_status": "taxable", "tax_class": "",
        "manage_stock": False, "stock_quantity": None, "stock_status": "instock", "backorders": "no",
        "backorders_allowed": False, "backordered": False, "low_stock_amount": None, "weight": "",
        "dimensions": {"length": "", "width": "", "height": ""}, "shipping_class": "", "shipping_class_id": 0,
        "image": None, "attributes": [], "menu_order": 0, "meta_data": [],
    }  # fmt: skip
