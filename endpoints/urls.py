"""Routes of every endpoint SparkLayer (and a platform's install flow) calls."""

from django.urls import path, register_converter

from endpoints import (
    checkout,
    connections,
    customers,
    entities,
    install,
    metafields,
    storefront,
    storefront_addresses,
    sync,
)
from endpoints.converters import PlatformConverter, SiteEnvConverter, SiteIdConverter

register_converter(SiteEnvConverter, "site_env")
register_converter(SiteIdConverter, "site_id")
register_converter(PlatformConverter, "platform")

urlpatterns: list = [
    path("v1/<site_env:site_env>/<site_id:site_id>", connections.ConnectionApi.as_view(), name="ignite-connection"),
    path(
        "v1/<site_env:site_env>/<site_id:site_id>/status/<str:data_type>",
        sync.SyncTriggerApi.as_view(),
        name="ignite-sync-trigger",
    ),
    path(
        "v1/<site_env:site_env>/<site_id:site_id>/sync/<str:data_type>",
        sync.SyncPullApi.as_view(),
        name="ignite-sync-pull",
    ),
    path(
        "v1/<site_env:site_env>/<site_id:site_id>/sync/<str:data_type>/<path:entity_id>",
        entities.SyncEntityFetchApi.as_view(),
        name="ignite-sync-entity",
    ),
    # customer requests (docs/ignite-contract.md §1.5 to §1.8)
    path(
        "v1/<site_env:site_env>/<site_id:site_id>/authentication/verify",
        storefront.AuthenticationVerifyApi.as_view(),
        name="ignite-authentication-verify",
    ),
    path(
        "v1/<site_env:site_env>/<site_id:site_id>/customers",
        customers.CustomerUpsertApi.as_view(),
        name="ignite-customers",
    ),
    path(
        "v1/<site_env:site_env>/<site_id:site_id>/sub-accounts",
        customers.SubAccountCreateApi.as_view(),
        name="ignite-sub-accounts",
    ),
    path(
        "v1/<site_env:site_env>/<site_id:site_id>/sub-accounts/<str:customer_external_id>",
        customers.SubAccountDetailApi.as_view(),
        name="ignite-sub-account",
    ),
    path(
        "v1/<site_env:site_env>/<site_id:site_id>/customers/<str:customer_external_id>/addresses",
        storefront_addresses.AddressCreateApi.as_view(),
        name="ignite-addresses",
    ),
    path(
        "v1/<site_env:site_env>/<site_id:site_id>/customers/<str:customer_external_id>/addresses/<str:address_external_id>",
        storefront_addresses.AddressDetailApi.as_view(),
        name="ignite-address",
    ),
    path(
        "v1/<site_env:site_env>/<site_id:site_id>/checkout/calculate",
        checkout.CheckoutCalculateApi.as_view(),
        name="ignite-checkout-calculate",
    ),
    path(
        "v1/<site_env:site_env>/<site_id:site_id>/checkout/complete",
        checkout.CheckoutCompleteApi.as_view(),
        name="ignite-checkout-complete",
    ),
    path(
        "v1/<site_env:site_env>/<site_id:site_id>/metafield-configuration",
        metafields.MetafieldListApi.as_view(),
        name="ignite-metafields",
    ),
    path(
        "v1/<site_env:site_env>/<site_id:site_id>/metafield-configuration/enable",
        metafields.MetafieldEnableApi.as_view(),
        name="ignite-metafield-enable",
    ),
    path(
        "install/<platform:platform>/<str:connection_uuid>/callback",
        install.install_callback,
        name="install-callback",
    ),
    path("install/<platform:platform>/<str:connection_uuid>/return", install.install_return, name="install-return"),
]
