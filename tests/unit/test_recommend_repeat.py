"""Buy again and self-tuning: baskets, learnt cycles and repeat rates, the blend chosen on
held-out last orders, and the edge cases (one order, no orders, deleted or sold-out goods,
a shopper who asked to be forgotten)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from domain.recommend import (
    Interaction,
    InteractionKind,
    ItemInfo,
    RecommendationModel,
    RecommendationService,
)
from domain.recommend.repeat import DAY, RepeatParams, due_factor, group_baskets, repeat_profile
from domain.recommend.tuning import MIN_VALIDATION_USERS, NOT_JUDGED, SMALL_SHOP
from tests.unit.recs_fakes import T0, ListCatalogue, MemorySource, SetAvailability, events

COFFEE, KETTLE, TEA = 1, 2, 3
BUY = InteractionKind.PURCHASE


def test_purchases_close_together_are_one_basket() -> None:
    user = np.array([1, 1, 1, 2, 2])
    at = np.array([0.0, 60.0, 7 * DAY, 0.0, 40 * 60.0])
    baskets = group_baskets(user, at)
    assert baskets.row_basket.tolist() == [0, 0, 1, 2, 3]
    assert baskets.basket_user.tolist() == [1, 1, 2, 2]
    assert baskets.basket_position.tolist() == [0, 1, 0, 1]


def test_cycles_and_repeat_rates_are_learnt_from_orders() -> None:
    rows = []  # (user, item index, day): coffee weekly for everyone, one kettle each
    for user in range(6):
        rows += [(user, 0, 7 * week + user * 0.1) for week in range(5)]
        rows.append((user, 1, 0.5 + user * 0.1))
    rows.append((9, 2, 0.0))  # tea: bought once by someone who never came back
    rows.sort(key=lambda r: (r[0], r[2]))  # by user, then time (as the ledger keeps them)
    user = np.array([r[0] for r in rows])
    item = np.array([r[1] for r in rows])
    at = np.array([r[2] for r in rows]) * DAY
    profile = repeat_profile(user, item, at, 3, np.array([10, 20, 10]), (1.0, 0.5))
    assert abs(profile.item_cycle[0] / DAY - 7.0) < 0.01  # coffee: weekly
    assert abs(profile.item_cycle[2] / DAY - 7.0) < 0.01  # tea: no gaps, its category's cycle
    assert profile.item_rate[0] > 0.7 > 0.2 > profile.item_rate[1]  # coffee again, kettle not
    mine = profile.pair_user == 0
    assert profile.pair_count[mine].tolist() == [5, 1]
    assert profile.weighted[1.0][mine].tolist() == [5.0, 1.0]
    # Age counts the shopper's baskets (the kettle's order too), not the good's purchases.
    assert profile.weighted[0.5][mine][0] == 1 + 0.5 + 0.25 + 0.125 + 0.5**5


def test_a_good_is_most_due_about_one_cycle_after_the_last_purchase() -> None:
    cycle = np.array([7 * DAY])
    due = [float(due_factor(np.array([d * DAY]), cycle)[0]) for d in (0.5, 3, 7, 14, 60)]
    assert due[2] == max(due) and due[0] < due[1] < due[2] > due[3] > due[4]


def weekly_shop(shoppers: int = 40, goods: int = 30) -> list[Interaction]:
    """Each shopper has a staple bought weekly, plus one of fifty other goods at random."""
    rng = np.random.default_rng(1)
    log: list[Interaction] = []
    for user in range(1, shoppers + 1):
        staple = 100 + user % goods
        for week in range(6):
            at = T0 + timedelta(days=7 * week, hours=user)
            basket = [staple, int(rng.integers(200, 250))]
            log += [Interaction(user, item, BUY, at) for item in basket]
    return log


async def built(log: list[Interaction], items=(), out=(), **kw) -> RecommendationService:  # type: ignore[no-untyped-def]
    service = RecommendationService(
        source=MemorySource(log),
        availability=SetAvailability(out),
        catalogue=ListCatalogue(items),
        clock=lambda: T0 + timedelta(days=60),
        **kw,
    )
    await service.rebuild()
    return service


async def test_self_tuning_serves_buy_again_where_shoppers_rebuy() -> None:
    service = await built(weekly_shop())
    quality = service.quality()
    assert quality is not None
    blend, validation = quality.blend, quality.validation
    assert blend.name != "bestsellers"
    assert validation.users == 40 and validation.tried > 10
    assert validation.hit_rate == 1.0 > validation.bestsellers  # every staple is found again
    page = await service.for_you(7, k=3)
    assert page.item_ids[0] == 107  # their staple


async def test_never_serves_a_blend_below_bestsellers() -> None:
    # Everyone buys the same two goods, nobody repeats anything else: bestsellers is best.
    log = []
    for user in range(1, 31):
        for week in range(3):
            at = T0 + timedelta(days=7 * week, hours=user)
            log += [Interaction(user, item, BUY, at) for item in (1, 2, 200 + 3 * user + week)]
    quality = (await built(log)).quality()
    assert quality is not None
    assert quality.validation.hit_rate >= quality.validation.bestsellers == 1.0


async def test_small_shop_falls_back_without_errors() -> None:
    log = weekly_shop(shoppers=MIN_VALIDATION_USERS - 1)
    service = await built(log, [ItemInfo(i, category_id=1) for i in range(1, 130)])
    quality = service.quality()
    assert quality is not None and quality.blend == SMALL_SHOP
    assert quality.validation == NOT_JUDGED
    assert (await service.for_you(3, k=4)).item_ids
    assert (await service.buy_again(3)).item_ids[0] == 103


async def test_a_shop_with_no_orders_and_a_shopper_with_one_order() -> None:
    service = await built([], [ItemInfo(COFFEE), ItemInfo(KETTLE)])
    assert (await service.buy_again(1)).items == ()
    assert (await service.for_you(1)).items == ()  # nothing popular yet; no error
    one = events([(1, COFFEE), (1, KETTLE)], BUY) + events([(2, TEA)], BUY)
    service = await built(one)
    assert set((await service.buy_again(1)).item_ids) == {COFFEE, KETTLE}
    assert (await service.for_you(1, k=5)).item_ids  # one order is enough to serve


async def test_deleted_and_sold_out_goods_are_never_offered_again() -> None:
    log = weekly_shop()
    staple = 100 + 7 % 30
    items = [ItemInfo(i, active=i != staple) for i in [*range(100, 130), *range(200, 250)]]
    service = await built(log, items)
    assert staple not in (await service.buy_again(7)).item_ids
    assert staple not in (await service.for_you(7, k=20)).item_ids
    service = await built(log, out={staple})
    assert staple not in (await service.buy_again(7)).item_ids


async def test_purchases_after_the_build_count_at_once() -> None:
    service = await built(weekly_shop())
    source = service._source
    assert isinstance(source, MemorySource)
    assert (await service.buy_again(5000)).item_ids == []
    source.add(events([(5000, 201)], BUY, T0 + timedelta(days=59)))
    assert (await service.buy_again(5000)).item_ids == [201]


def test_snapshot_keeps_the_blend_and_its_figures() -> None:
    import asyncio

    service = asyncio.run(built(weekly_shop()))
    model = service.model
    assert model is not None
    again = RecommendationModel.from_bytes(model.to_bytes())
    assert again.blend == model.blend and again.validation == model.validation
    assert np.array_equal(again.repeat_weight, model.repeat_weight)
    assert isinstance(again.blend.repeat_params, RepeatParams)


def test_forgetting_a_user_drops_their_pairs_and_purchases() -> None:
    service = asyncio_run_built(weekly_shop())
    ledger = service.model.ledger  # type: ignore[union-attr]
    lighter = ledger.without_users([7, 8], forget_mark=3)
    assert lighter.forget_mark == 3
    assert not set(lighter.pair_user.tolist()) & {7, 8}
    assert not set(lighter.buy_user.tolist()) & {7, 8}
    assert lighter.buy_user.size == ledger.buy_user.size - 24


def asyncio_run_built(log: list[Interaction]) -> RecommendationService:
    import asyncio

    return asyncio.run(built(log))
