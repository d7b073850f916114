"""Platform API settings → the merchant record (``PATCH /api/v1/settings``).

The keys are the same **[decision]** as every platform's (SparkLayer's docs do not list them):
``currency_code``, ``weight_unit``, ``prices_include_tax``.
"""

from __future__ import annotations

from platforms.standard.mapping.common import StoreSettings
from platforms.types import DataType, SyncRecord

MERCHANT_EXTERNAL_ID = "settings"


def map_merchant(settings: StoreSettings) -> SyncRecord:
    """The one merchant record; its payload is ``{"settings": [{key, value}, ...]}``."""
    return SyncRecord(
        data_type=DataType.MERCHANT,
        external_id=MERCHANT_EXTERNAL_ID,
        payload={
            "settings": [
                {"key": "currency_code", "value": settings.currency_code},
                {"key": "weight_unit", "value": settings.weight_unit},
                {"key": "prices_include_tax", "value": settings.prices_include_tax},
            ]
        },
        visible_id="store settings",
    )
