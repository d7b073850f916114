"""A local WooCommerce store (REST API v3 subset, webhooks, app authorisation) for tests, benchmarks and the demo."""

from sandbox.woocommerce.app import WooCommerceSandbox

__all__ = ["WooCommerceSandbox"]
