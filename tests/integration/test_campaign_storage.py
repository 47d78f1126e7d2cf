"""Campaign and delivery rows on SQLite and PostgreSQL: audiences, claims, outcomes, job runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.campaigns.audiences import AudienceSpec
from domain.campaigns.service import CampaignDraft, CampaignService, CampaignState
from domain.users.service import TelegramIdentity, UserService
from storage.campaigns.jobruns import TortoiseJobRunStore
from storage.campaigns.repository import TortoiseCampaignRepository, TortoiseDeliveryStore
from storage.models import UserRow
from storage.users import TortoiseUserRepository


async def _people(users: UserService) -> dict[str, int]:
    specs = {
        "en": ("en", True, 0),
        "zh": ("zh-hans", True, 0),
        "old": ("en", True, 40),
        "out": ("en", False, 0),
        "gone": ("en", True, 0),
    }
    ids = {}
    for i, (name, (lang, opt_in, days)) in enumerate(specs.items()):
        user, _ = await users.seen(TelegramIdentity(100 + i, name, language_code=lang))
        await users.set_marketing(user.id, opt_in)
        if days:
            await UserRow.filter(id=user.id).update(
                last_seen_at=datetime.now(UTC) - timedelta(days=days)
            )
        ids[name] = user.id
    await users.mark_blocked(ids["gone"], True)
    return ids


async def test_audience_sizes_match_the_domain_rules(db: str) -> None:
    users = UserService(TortoiseUserRepository())
    await _people(users)
    repo = TortoiseCampaignRepository()
    assert await repo.audience_size(AudienceSpec("everyone")) == 3
    assert await repo.audience_size(AudienceSpec("language", "zh")) == 1
    assert await repo.audience_size(AudienceSpec("language", "en")) == 2
    assert await repo.audience_size(AudienceSpec("inactive", "30")) == 1


async def test_delivery_rows_are_claimed_once_and_settled_by_their_attempt(db: str) -> None:
    users = UserService(TortoiseUserRepository())
    ids = await _people(users)
    campaigns = CampaignService(TortoiseCampaignRepository())
    campaign = await campaigns.create(9000, CampaignDraft("<b>Hi</b>", AudienceSpec("everyone")))
    await campaigns.send_now(campaign.id)
    store = TortoiseDeliveryStore()
    assert await store.running_campaign_ids() == [campaign.id]

    rows = await store.next_pending([campaign.id], 10)
    assert len(rows) == 3 and {r.locale for r in rows} == {"en", "zh"}
    first, second, third = rows
    assert await store.claim([first.id, second.id], "a1") == {first.id, second.id}
    assert await store.claim([first.id, third.id], "b2") == {third.id}  # first is taken
    await store.mark_sent([(first.id, "a1", 555), (second.id, "wrong", 556)])
    await store.mark_blocked(third.id, "b2", "Forbidden")
    assert not await store.finish_if_complete(campaign.id)  # second is still 'sending'

    # A restart finds `second` mid-send: it becomes unknown and is never handed out again.
    assert await store.settle_interrupted() == 1
    assert await store.next_pending([campaign.id], 10) == []
    assert await store.finish_if_complete(campaign.id)
    report = await campaigns.report(campaign.id)
    assert report.campaign.state == CampaignState.DONE
    counts = report.counts
    assert (counts.sent, counts.blocked, counts.unknown, counts.pending) == (1, 1, 1, 0)
    assert ids


async def test_opted_out_users_are_skipped_and_retries_wait(db: str) -> None:
    users = UserService(TortoiseUserRepository())
    ids = await _people(users)
    campaigns = CampaignService(TortoiseCampaignRepository())
    campaign = await campaigns.create(9000, CampaignDraft("Hi", AudienceSpec("everyone")))
    await campaigns.send_now(campaign.id)
    await users.set_marketing(ids["zh"], False)  # after the audience was snapshotted
    store = TortoiseDeliveryStore()
    rows = await store.next_pending([campaign.id], 10)
    assert {r.user_id for r in rows} == {ids["en"], ids["old"]}
    assert (await campaigns.report(campaign.id)).counts.skipped == 1
    row = rows[0]
    assert await store.claim([row.id], "x") == {row.id}
    await store.release(row.id, "x", 60, True, "server error")
    assert [r.id for r in await store.next_pending([campaign.id], 10)] == [rows[1].id]


async def test_clicks_count_once_per_recipient(db: str) -> None:
    users = UserService(TortoiseUserRepository())
    ids = await _people(users)
    repo = TortoiseCampaignRepository()
    service = CampaignService(repo)
    campaign = await service.create(9000, CampaignDraft("Hi", AudienceSpec("everyone")))
    await service.send_now(campaign.id)
    assert await repo.record_click(campaign.id, ids["en"]) is True
    assert await repo.record_click(campaign.id, ids["en"]) is False
    assert await repo.record_click(campaign.id, ids["out"]) is None  # not a recipient
    assert (await repo.counts(campaign.id)).clicks == 1


async def test_scheduled_campaigns_start_once_when_due(db: str) -> None:
    users = UserService(TortoiseUserRepository())
    await _people(users)
    campaigns = CampaignService(TortoiseCampaignRepository())
    campaign = await campaigns.create(9000, CampaignDraft("Hi", AudienceSpec("everyone")))
    now = datetime.now(UTC)
    await campaigns.schedule(campaign.id, "23:59", "UTC", now - timedelta(days=1))
    later = now + timedelta(days=2)
    assert await campaigns.start_due(later) == [campaign.id]
    assert await campaigns.start_due(later) == []
    assert (await campaigns.report(campaign.id)).counts.pending == 3


async def test_job_fires_are_claimed_once(db: str) -> None:
    runs = TortoiseJobRunStore()
    fire = datetime(2030, 1, 1, 9, tzinfo=UTC)
    assert await runs.claim("reports.daily", fire)
    assert not await runs.claim("reports.daily", fire)
    assert await runs.claim("reports.daily", fire + timedelta(days=1))
    await runs.finish("reports.daily", fire + timedelta(days=1), None)
    assert await runs.last_fire("reports.daily") == fire + timedelta(days=1)
    assert await runs.runs("reports.daily") == 2
