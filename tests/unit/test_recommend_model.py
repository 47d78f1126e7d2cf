"""The model builder on small hand-made histories with answers worked out by hand."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from domain.recommend import (
    Interaction,
    InteractionKind,
    InteractionLedger,
    ItemInfo,
    RecommendationModel,
    RecommendConfig,
    build_model,
    fold_events,
    item_features,
    rebuild_model,
)
from tests.unit.recs_fakes import T0, events

A, B, C, D, H, L, P, Q = 1, 2, 3, 4, 5, 6, 7, 8
PLAIN = RecommendConfig(user_damping=False, content_weight=0.0, alpha=0.5, shrinkage=0.0)


def model_of(log: list[Interaction], config: RecommendConfig = PLAIN, items=(), now=None):
    return rebuild_model(None, log, len(log), list(items), config, now or T0 + timedelta(days=1))


def scores(pairs: list[tuple[int, float]]) -> dict[int, float]:
    return dict(pairs)


def test_cosine_from_co_occurrence() -> None:
    model = model_of(events([(1, A), (1, B), (2, A), (2, B), (3, A), (3, C), (4, D)]))
    similar = scores(model.similar_to(A))
    assert list(similar) == [B, C]
    assert similar[B] == pytest.approx(2 / math.sqrt(3 * 2), rel=1e-5)
    assert similar[C] == pytest.approx(1 / math.sqrt(3 * 1), rel=1e-5)
    assert model.similar_to(D) == []  # used by nobody else
    assert scores(model.similar_to(C)) == {A: pytest.approx(1 / math.sqrt(3), rel=1e-5)}


def test_user_damping_trusts_light_users_over_heavy_ones() -> None:
    # Four heavy users (32 items each) pair A with H; three light users pair A with L.
    rows: list[tuple[int, int]] = []
    for user in range(1, 5):
        rows += [(user, A), (user, H)] + [(user, 1000 + user * 100 + n) for n in range(30)]
    rows += [(user, item) for user in (5, 6, 7) for item in (A, L)]
    log = events(rows)
    undamped = model_of(log, replace(PLAIN, neighbours=5))
    damped = model_of(log, replace(PLAIN, neighbours=5, user_damping=True))
    assert undamped.similar_to(A)[0][0] == H  # 4/sqrt(28) > 3/sqrt(21)
    assert damped.similar_to(A)[0][0] == L  # heavy users' votes weigh 1/log2(33)


def test_alpha_controls_popularity_damping_of_neighbours() -> None:
    # A: users 1-4. P (popular, 8 users) shares 2 of them, Q (niche, 1 user) shares 1.
    rows = [(u, A) for u in (1, 2, 3, 4)] + [(u, P) for u in (1, 2, 5, 6, 7, 8, 9, 10)]
    rows.append((1, Q))
    log = events(rows)
    assert model_of(log, replace(PLAIN, alpha=0.9)).similar_to(A)[0][0] == P
    assert model_of(log, replace(PLAIN, alpha=0.2)).similar_to(A)[0][0] == Q


def test_shrinkage_discounts_rare_pairs_and_top_k_prunes() -> None:
    log = events([(1, A), (1, B), (2, A), (2, B), (3, A), (3, C)])
    shrunk = scores(model_of(log, replace(PLAIN, shrinkage=1.0)).similar_to(A))
    assert shrunk[B] == pytest.approx(2 / math.sqrt(6) * 2 / 3, rel=1e-5)
    assert shrunk[C] == pytest.approx(1 / math.sqrt(3) * 1 / 2, rel=1e-5)
    assert len(model_of(log, replace(PLAIN, neighbours=1)).similar_to(A)) == 1


def test_content_similarity_serves_a_cold_item() -> None:
    catalogue = [
        ItemInfo(A, category_id=1, brand="Acme", text="red running shoe"),
        ItemInfo(B, category_id=1, brand="Acme", text="blue running shoe"),
        ItemInfo(C, category_id=2, brand="Leafy", text="green tea"),
        ItemInfo(D, category_id=1, brand="Acme", text="yellow running shoe"),  # no history
    ]
    log = events([(1, A), (1, C), (2, A), (2, C), (3, B)])
    model = model_of(log, RecommendConfig(), catalogue)
    cold = model.similar_to(D)
    assert {item for item, _ in cold} == {A, B}
    assert C not in dict(model.similar_to(D))
    assert "brand:acme" in item_features(catalogue[0])
    assert "w:running" in item_features(catalogue[0])


def test_trending_decays_with_time_and_counts_anonymous_events() -> None:
    now = T0 + timedelta(days=10)
    old = events([(1, A), (2, A), (3, A)], start=T0)  # 3 views ten days ago
    fresh = events([(4, B), (5, B)], start=now - timedelta(hours=1))
    anonymous = events([(None, C)] * 4, start=now - timedelta(hours=1))
    model = model_of(old + fresh + anonymous, RecommendConfig(), now=now)
    ranked = model.ids(model.trending)
    assert ranked == [C, B, A]
    config = RecommendConfig()
    expected_a = 3 * 0.5 ** ((10 * 24) / config.trend_half_life_hours)
    assert float(model.trend_scores[2]) == pytest.approx(expected_a, rel=1e-3)
    assert int(model.support[model.index_of(C)]) == 0  # anonymous: no co-occurrence


def test_new_arrivals_newest_first_within_the_window_and_active_only() -> None:
    now = T0 + timedelta(days=60)
    catalogue = [
        ItemInfo(A, created_at=now - timedelta(days=2)),
        ItemInfo(B, created_at=now - timedelta(days=1)),
        ItemInfo(C, created_at=now - timedelta(days=40)),
        ItemInfo(D, created_at=now - timedelta(hours=1), active=False),
        ItemInfo(H),  # no date: never "new"
    ]
    model = model_of([], RecommendConfig(), catalogue, now=now)
    assert model.ids(model.new_arrivals) == [B, A]


def test_bought_together_uses_only_carts_and_purchases() -> None:
    views = events([(u, P) for u in range(1, 6)] + [(u, H) for u in range(1, 6)])
    carts = events([(6, P), (6, L), (7, P), (7, L)], InteractionKind.CART)
    model = model_of(views + carts)
    assert [item for item, _ in model.together_with(P)] == [L]
    assert model.similar_to(P)[0][0] == H


def test_snapshot_round_trip_keeps_every_list() -> None:
    catalogue = [ItemInfo(i, category_id=i % 2, created_at=T0) for i in (A, B, C, D)]
    bought = events([(3, C), (3, D)], InteractionKind.PURCHASE)
    log = events([(1, A), (1, B), (2, B), (2, C)]) + bought
    model = model_of(log, RecommendConfig(), catalogue)
    loaded = RecommendationModel.from_bytes(model.to_bytes())
    for item in (A, B, C, D):
        assert loaded.similar_to(item) == model.similar_to(item)
        assert loaded.together_with(item) == model.together_with(item)
        assert loaded.category_of(item) == model.category_of(item)
    assert loaded.ids(loaded.trending) == model.ids(model.trending)
    assert loaded.ids(loaded.new_arrivals) == model.ids(model.new_arrivals)
    assert loaded.watermark == model.watermark == len(log)
    assert loaded.ledger_bought_by(3) == {C, D}


def test_incremental_fold_equals_building_from_everything() -> None:
    config = RecommendConfig()
    first = events([(1, A), (1, B), (2, A), (None, C)])
    second = events([(2, B), (3, B), (3, C), (1, A)], start=T0 + timedelta(hours=5))
    everything = first + second
    kw = {"kind_weights": config.kind_weights, "half_life_hours": config.trend_half_life_hours}
    step = fold_events(InteractionLedger.empty(), first, watermark=4, **kw)
    step = fold_events(step, second, watermark=8, **kw)
    once = fold_events(InteractionLedger.empty(), everything, watermark=8, **kw)
    now = T0 + timedelta(days=1)
    a, b = build_model(step, [], config, now), build_model(once, [], config, now)
    np.testing.assert_array_equal(step.pair_item, once.pair_item)
    np.testing.assert_allclose(step.pair_strength, once.pair_strength)
    np.testing.assert_allclose(a.trend_scores, b.trend_scores, rtol=1e-9)
    for item in (A, B, C):
        assert a.similar_to(item) == b.similar_to(item)
    pairs = zip(
        step.pair_user.tolist(), step.pair_item.tolist(), step.pair_strength.tolist(), strict=True
    )
    assert {(u, i): s for u, i, s in pairs}[(1, A)] == 2.0  # two views by user 1, summed
