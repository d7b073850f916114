"""Every model of the bridge's own apps has a factory in ``tests/factories.py`` that saves a valid row."""

from __future__ import annotations

import factory
import pytest
from django.apps import apps
from django.db import models

from tests import factories

#: the packages whose Django apps are the bridge's (third-party and contrib apps have their own tests)
OUR_PACKAGES = ("ignite_bridge", "sparklayer", "platforms", "connections", "sync", "storefront", "endpoints", "sandbox")


def our_models() -> list[type[models.Model]]:
    return sorted(
        (model for model in apps.get_models() if model._meta.app_config.name.split(".")[0] in OUR_PACKAGES),
        key=lambda model: model._meta.label,
    )


def factory_by_model() -> dict[type[models.Model], type[factory.django.DjangoModelFactory]]:
    found = {}
    for value in vars(factories).values():
        if isinstance(value, type) and issubclass(value, factory.django.DjangoModelFactory):
            model = value._meta.model
            if model is not None:
                found[model] = value
    return found


def test_the_apps_have_models_to_check() -> None:
    assert {model._meta.label for model in our_models()} >= {
        "connections.Connection",
        "sync.SyncJob",
        "storefront.CheckoutCompletion",
    }


def test_every_model_of_ours_has_a_factory() -> None:
    missing = [model._meta.label for model in our_models() if model not in factory_by_model()]
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("model", our_models(), ids=lambda model: model._meta.label)
def test_a_factory_saves_a_valid_row(model: type[models.Model]) -> None:
    row = factory_by_model()[model].create()

    assert row.pk is not None
    assert model.objects.filter(pk=row.pk).exists()
    row.full_clean()  # raises ValidationError naming every field the factory left invalid
