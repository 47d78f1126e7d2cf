"""domain.orders.board.OrderBoardRepository on Tortoise: the order repository plus the
merchant's views by status, the board's search and staff notes on orders."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from domain.orders.board import BoardEntry, BoardQuery, OrderNote
from domain.orders.service import Order
from domain.orders.states import OrderStatus
from storage.admin.models import OrderNoteRow
from storage.models import UserRow
from storage.orders.models import OrderRow
from storage.orders.repository import TortoiseOrderRepository

_NAME_FIELDS = ("first_name", "last_name", "display_name", "username")


def _word(word: str) -> Q:
    """One word of a search: part of the buyer's name or @username, or of the tracking number;
    a number may also be the order's or the buyer's Telegram id."""
    bare = word.removeprefix("@") or word
    found = Q(tracking_number__icontains=word)
    for name in _NAME_FIELDS:
        found |= Q(**{f"user__{name}__icontains": bare})
    number = word.removeprefix("#")
    if number.isascii() and number.isdigit() and len(number) <= 15:
        found |= Q(user__telegram_id=int(number))
        if int(number) < 2**31:
            found |= Q(id=int(number))
    return found


def _matching(query: BoardQuery, with_status: bool = True) -> QuerySet[OrderRow]:
    rows = OrderRow.all()
    if with_status and query.status is not None:
        rows = rows.filter(status=query.status.value)
    if query.since is not None:
        rows = rows.filter(created_at__gte=query.since)
    if query.until is not None:
        rows = rows.filter(created_at__lt=query.until)
    if query.method:
        rows = rows.filter(pay_method=query.method)
    for word in query.text.split():
        rows = rows.filter(_word(word))
    return rows


class TortoiseOrderBoardRepository(TortoiseOrderRepository):
    async def status_counts(self) -> dict[str, int]:
        rows = await (
            OrderRow.all().annotate(n=Count("id")).group_by("status").values("status", "n")
        )
        return {str(r["status"]): int(r["n"]) for r in rows}

    async def by_status(self, status: OrderStatus, offset: int, limit: int) -> list[Order]:
        rows = await (
            OrderRow.filter(status=status.value).order_by("-id").offset(offset).limit(limit)
        )
        return await self._with_lines(list(rows))

    async def matching_counts(self, query: BoardQuery) -> dict[str, int]:
        if not query.text:
            rows = await (
                _matching(query, with_status=False)
                .annotate(n=Count("id"))
                .group_by("status")
                .values("status", "n")
            )
            return {str(r["status"]): int(r["n"]) for r in rows}
        # A search joins the buyer: count distinct orders per status over the matching ids.
        found = await _matching(query, with_status=False).distinct().values("id", "status")
        counts: dict[str, int] = {}
        for row in found:
            counts[str(row["status"])] = counts.get(str(row["status"]), 0) + 1
        return counts

    async def matching(self, query: BoardQuery, offset: int, limit: int) -> list[BoardEntry]:
        rows = list(await _matching(query).distinct().order_by("-id").offset(offset).limit(limit))
        users = {
            u.id: u for u in await UserRow.filter(id__in={r.user_id for r in rows}).only(*_USER)
        }
        entries = []
        for order in await self._with_lines(rows):
            user = users[order.user_id]
            entries.append(BoardEntry(order, _name(user), user.username, user.telegram_id))
        return entries

    async def notes(self, order_id: int) -> list[OrderNote]:
        rows = list(await OrderNoteRow.filter(order_id=order_id).order_by("id"))
        authors = {r.author for r in rows}
        names = {
            u.telegram_id: _name(u)
            for u in await UserRow.filter(telegram_id__in=authors).only(*_USER)
        }
        return [_note(r, names.get(r.author, "")) for r in rows]

    async def add_note(self, order_id: int, author: int, text: str, at: datetime) -> OrderNote:
        row = await OrderNoteRow.create(order_id=order_id, author=author, text=text, created_at=at)
        user = await UserRow.get_or_none(telegram_id=author).only(*_USER)
        return _note(row, _name(user) if user else "")


_USER = ("id", "telegram_id", *_NAME_FIELDS)


def _name(user: UserRow) -> str:
    if user.display_name:
        return str(user.display_name)
    return " ".join(p for p in (user.first_name, user.last_name) if p)


def _note(row: OrderNoteRow, author_name: str) -> OrderNote:
    return OrderNote(row.id, row.order_id, row.author, author_name, row.text, row.created_at)
