"""bot/wiring.py, the composition root: one object with every service, none optional, each
built with its collaborators and listeners (nothing attached afterwards)."""

from __future__ import annotations

import typing
from dataclasses import fields

import pytest

from bot.settings import ConfigError
from bot.wiring import Services, build_services, invoice_secret
from tests.services import TEST_INVOICE_SECRET, shop_settings


def test_services_lists_every_name_and_none_is_optional() -> None:
    hints = typing.get_type_hints(Services)
    for field in fields(Services):
        args = typing.get_args(hints[field.name])
        assert type(None) not in args, f"Services.{field.name} must not be optional"


def test_every_service_is_built_with_its_listeners() -> None:
    services = build_services(shop_settings(admin_ids="1,2"))
    try:
        assert all(getattr(services, f.name) is not None for f in fields(Services))
        assert services.workflow_data().keys() == {f.name for f in fields(Services)}
        orders = services.orders
        # a payment tells loyalty and the recommender because OrderService was built so
        assert orders.benefits is services.loyalty
        assert orders.change_listeners == (services.loyalty.order_changed,)
        assert orders.paid_listeners == (services.recs_runtime.order_paid,)
        assert services.payments.orders is orders and services.board.orders is orders
        assert services.shop.owner_ids == frozenset({1, 2})
        # the same objects wherever they are shared, never a second copy
        assert services.recs_events is services.recs_runtime.events
        assert services.shelves is services.recs_runtime.shelves
        assert services.staff.audit is services.audit
    finally:
        if services.recs_runtime.executor is not None:
            services.recs_runtime.executor.shutdown()


def test_the_invoice_key_is_never_a_fixed_fallback() -> None:
    assert invoice_secret(shop_settings()) == TEST_INVOICE_SECRET.encode()
    token = "123456789:AAbcdefghijklmnopqrstuvwxyz012345678"
    assert invoice_secret(shop_settings(payments={}, bot_token=token)) == token.encode()
    with pytest.raises(ConfigError, match="PAYMENTS__INVOICE_SECRET"):
        invoice_secret(shop_settings(payments={}, bot_token=None))
