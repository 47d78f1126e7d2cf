"""Recommendations: events, item similarity, trending, "for you", and the serving service.

Import from here: `from domain.recommend import RecommendationService, EventLog, ...`.
"""

from domain.recommend.config import RecommendConfig
from domain.recommend.events import (
    DEFAULT_KIND_WEIGHTS,
    EventLog,
    Interaction,
    InteractionKind,
    InteractionSink,
    InteractionSource,
)
from domain.recommend.items import ItemInfo, item_features
from domain.recommend.ledger import InteractionLedger, fold_events
from domain.recommend.model import RecommendationModel, build_model, rebuild_model
from domain.recommend.ranking import Recommendation, RecommendationPage
from domain.recommend.service import (
    Availability,
    CatalogueFeed,
    RebuildReport,
    RecommendationService,
    SnapshotStore,
)

__all__ = [
    "DEFAULT_KIND_WEIGHTS",
    "Availability",
    "CatalogueFeed",
    "EventLog",
    "Interaction",
    "InteractionKind",
    "InteractionLedger",
    "InteractionSink",
    "InteractionSource",
    "ItemInfo",
    "RebuildReport",
    "RecommendConfig",
    "Recommendation",
    "RecommendationModel",
    "RecommendationPage",
    "RecommendationService",
    "SnapshotStore",
    "build_model",
    "fold_events",
    "item_features",
    "rebuild_model",
]
