"""A platform's capabilities are its type: what it lacks, it does not inherit, and callers are told."""

from __future__ import annotations

import pytest

from platforms.base import (
    InstallFlow,
    PlatformAdapter,
    PlatformCapabilityMissing,
    StorefrontRequests,
    SyncSource,
    WebhookSource,
    install_flow,
    platform_adapter_class,
    storefront_requests,
    sync_source,
    webhook_source,
)


def standard() -> object:
    return platform_adapter_class("standard")(store_url="https://platform.example.com", credentials={})


def test_woocommerce_is_a_full_adapter() -> None:
    assert issubclass(platform_adapter_class("woocommerce"), PlatformAdapter)


def test_the_standard_platform_has_every_capability_but_the_install_flow() -> None:
    cls = platform_adapter_class("standard")
    assert issubclass(cls, SyncSource)
    assert issubclass(cls, WebhookSource)
    assert issubclass(cls, StorefrontRequests)
    assert not issubclass(cls, InstallFlow)
    assert not hasattr(cls, "authorization_url")


def test_a_capability_the_platform_has_is_handed_back_typed() -> None:
    adapter = standard()
    assert sync_source(adapter) is adapter  # type: ignore[arg-type]
    assert webhook_source(adapter) is adapter  # type: ignore[arg-type]
    assert storefront_requests(adapter) is adapter  # type: ignore[arg-type]


def test_a_missing_capability_is_a_501_platform_error_naming_it() -> None:
    with pytest.raises(PlatformCapabilityMissing) as caught:
        install_flow(standard())  # type: ignore[arg-type]
    assert caught.value.status == 501
    assert caught.value.code == "capability_missing"
    assert caught.value.message == "The standard platform does not offer InstallFlow."
