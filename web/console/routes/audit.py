"""Console pages: the audit log (owners only, as in the chat's /audit) — who changed what,
from the chat or the console, filtered by person, action and days, a page at a time."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web

from domain.kernel.errors import DomainError
from domain.kernel.text import whole_number
from domain.staff.audit import (
    ACTION_FAMILIES,
    SOURCE_LABELS,
    AuditEntry,
    AuditFilter,
    action_label,
    audit_filter,
)
from web.console.access import requires
from web.console.keys import I18N, SERVICES
from web.console.render import locale_of, render
from web.render import Translate, error_text, translator

routes = web.RouteTableDef()

PAGE_SIZE = 25
FILTERS = ("actor", "action", "since", "until")


def _row(_: Translate, entry: AuditEntry, names: dict[int, str], timezone: str) -> dict[str, Any]:
    label = action_label(entry.action)
    details = {k: v for k, v in entry.details.items() if k != "source"}
    source = entry.source
    when = entry.created_at.astimezone(ZoneInfo(timezone)) if entry.created_at else None
    return {
        "id": entry.id,
        "when": when.strftime("%Y-%m-%d %H:%M:%S") if when else "",
        "actor": entry.actor,
        "who": names.get(entry.actor, str(entry.actor)),
        "action": entry.action,
        "action_label": _(label) if label else entry.action,
        "target": entry.target,
        "source": source,
        "source_label": _(SOURCE_LABELS[source]) if source in SOURCE_LABELS else source,
        "details": json.dumps(details, ensure_ascii=False)[:300] if details else "",
    }


@routes.get("/audit")
@requires("owner")
async def audit_page(request: web.Request) -> web.Response:
    services = request.config_dict[SERVICES]
    _ = translator(request.config_dict[I18N], locale_of(request))
    timezone = services.shop.timezone
    values = {name: request.query.get(name, "")[:40] for name in FILTERS}
    error = ""
    try:
        where = audit_filter(
            values["actor"], values["action"], values["since"], values["until"], timezone
        )
    except DomainError as exc:
        error = error_text(request.config_dict[I18N], locale_of(request), exc)
        where = AuditFilter()
    number = whole_number(request.query.get("page", "1")) or 1
    page = await services.audit.page(min(number, 10**6), where, PAGE_SIZE)
    names = {m.telegram_id: m.name or str(m.telegram_id) for m in await services.staff.staff()}
    names[0] = _("system")
    actors = [(a, names.get(a, str(a))) for a in await services.audit.actors()]
    actions = [(a, _(action_label(a) or a)) for a in await services.audit.actions()]
    families = [(key, _(label)) for key, label in ACTION_FAMILIES.items()]
    kept = {k: v for k, v in values.items() if v}
    return render(
        request,
        "console/audit/log.html",
        rows=[_row(_, e, names, timezone) for e in page.items],
        page=page,
        values=values,
        error=error,
        actors=actors,
        actions=actions,
        families=families,
        timezone=timezone,
        page_url=lambda n: "?" + urlencode({**kept, "page": n}),
    )
