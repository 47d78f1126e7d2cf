"""Review moderation in the console, on SQLite and PostgreSQL: hide and show again (the
product's rating follows), the shop's answer that shoppers see under the review, each audited
as "console"; a forged review or bad answer changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from domain.reviews.service import ReviewDraft
from storage.admin.models import AuditRow
from storage.reviews.repository import TortoiseReviewRepository
from tests.web.console import MANAGER_ID, Console, console_app
from tests.web.console_orders_seed import buyer

API = "/console/api/reviews"


@pytest_asyncio.fixture
async def console(db: str) -> AsyncIterator[Console]:
    async with console_app() as c:
        yield c


async def _reviews(console: Console) -> tuple[int, int]:
    s, mug = console.services, console.goods["mug"]
    repo = TortoiseReviewRepository()
    ann = await buyer(s, 1001, "Ann")
    bob = await buyer(s, 1002, "Bob")
    good = await repo.save(ann.id, mug, ReviewDraft(5, "Lovely <mug>"))
    bad = await repo.save(bob.id, mug, ReviewDraft(1, "spam spam"))
    assert good is not None and bad is not None
    return good.id, bad.id


async def test_hide_show_and_answer_a_review(console: Console) -> None:
    good, bad = await _reviews(console)
    s, mug = console.services, console.goods["mug"]
    manager = await console.client("manager")  # moderation is a manager's job in the chat too
    status, body = await manager.call("GET", API)
    assert status == 200 and [r["id"] for r in body["reviews"]] == [bad, good]
    assert body["reviews"][0]["product"] == "Coffee mug"

    status, body = await manager.call("POST", f"{API}/{bad}/visibility", {"hidden": True})
    assert status == 200 and body["review"]["hidden"] is True
    product = await s.catalog.product(mug)
    assert (product.rating_count, product.rating_avg) == (1, 5.0)
    shown = await s.reviews.reviews(mug)
    assert [r.id for r in shown.items] == [good]

    status, body = await manager.call("POST", f"{API}/{good}/reply", {"text": "Thank you!"})
    assert status == 200 and body["review"]["reply"] == "Thank you!"
    assert (await s.reviews.reviews(mug)).items[0].reply == "Thank you!"  # shoppers see it
    status, body = await manager.call("POST", f"{API}/{bad}/visibility", {"hidden": False})
    assert status == 200 and body["review"]["hidden"] is False
    assert (await s.catalog.product(mug)).rating_count == 2
    status, body = await manager.call("POST", f"{API}/{good}/reply", {"text": ""})
    assert status == 200 and body["review"]["reply"] == ""  # the answer is removed

    audit = await AuditRow.filter(action__startswith="reviews.").order_by("id")
    assert [a.action for a in audit] == [
        "reviews.hide",
        "reviews.reply",
        "reviews.unhide",
        "reviews.reply",
    ]
    assert {(a.actor, a.details["source"]) for a in audit} == {(MANAGER_ID, "console")}

    status, html = await manager.page("/console/reviews?done=hidden")
    assert (
        status == 200 and "Lovely &lt;mug&gt;" in html and "Hidden from the product card." in html
    )


async def test_refused_moderation_changes_nothing(console: Console) -> None:
    good, _bad = await _reviews(console)
    owner = await console.client("owner")
    for path, body, code in [
        (f"{API}/999999/visibility", {"hidden": True}, 404),
        (f"{API}/999999/reply", {"text": "hi"}, 404),
        (f"{API}/{good}/visibility", {"hidden": "maybe"}, 400),
        (f"{API}/{good}/reply", {"text": "x" * 1001}, 400),
        (f"{API}/{good}/reply", {"text": {"html": 1}}, 400),
    ]:
        status, answer = await owner.call("POST", path, body)
        assert status == code, (path, answer)
        assert answer["message"]
    status, _ = await owner.call("POST", f"{API}/{good}/visibility", {"hidden": True}, csrf=False)
    assert status == 403
    review = await console.services.reviews.visible(good)
    assert review.reply is None and not review.hidden
    assert await AuditRow.filter(action__startswith="reviews.").count() == 0
