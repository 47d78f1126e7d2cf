"""Who may use the console, checked on every request at the moment of use.

The session cookie only says who signed in; the role is read again from the staff service on
every request (`StaffService.role_of`, the same authority as the chat's staff gate), so a
manager removed in the chat loses the console on their next click. Every route needs at
least a manager unless it is marked `@public` (the sign-in pages and static files);
`@requires("owner")` narrows a route to owners. The authorisation tests read these marks
from the app's router, so a new route is covered without being listed anywhere.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

from domain.kernel.errors import DomainError
from domain.kernel.i18n import N_
from domain.staff.service import ROLE_RANK, Role
from web.console.keys import SESSION, STAFF

ROLE_ATTR = "console_role"  # on a route handler: the least role it needs, or "public"
PUBLIC = "public"

H = TypeVar("H", bound=Callable[..., Awaitable[web.StreamResponse]])


class NotSignedIn(DomainError):
    """No session, or an expired one: HTML pages go to the sign-in page, the API says 401."""

    message = N_("Please sign in to the console again: send /console to the bot.")


class Forbidden(DomainError):
    """Signed in, but the role doesn't allow this (HTTP 403)."""

    message = N_("Your role doesn't allow this page. Ask the shop's owner.")


class NoLongerStaff(Forbidden):
    """The session's person is no longer an owner or a manager (the session is closed)."""

    message = N_("You are no longer on this shop's staff, so the console is closed to you.")


class BadCsrf(DomainError):
    """A change without the session's CSRF token (HTTP 403): nothing was changed."""

    message = N_("This page is out of date. Reload it and try again.")


@dataclass(frozen=True, slots=True)
class StaffMember:
    """The signed-in staff member of this request: role read afresh, language from their
    profile (the shop's default if they never opened the bot)."""

    telegram_id: int
    role: Role
    locale: str
    name: str = ""
    user_id: int | None = None  # their shopper row, if they ever opened the bot

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    def may(self, role: Role | str) -> bool:
        """Whether this member holds at least `role` ("public" is everyone's)."""
        return role == PUBLIC or ROLE_RANK[self.role] >= ROLE_RANK[role]


def staff(request: web.Request) -> StaffMember:
    """The staff member behind a (non-public) console request."""
    if STAFF not in request:
        raise NotSignedIn()
    return request[STAFF]


def csrf_token(request: web.Request) -> str:
    """The session's CSRF token ("" outside a session): forms carry it as `csrf`, fetches
    as the `X-CSRF-Token` header (console.js adds it)."""
    return request[SESSION].csrf if SESSION in request else ""


def required_role(handler: Callable[..., Any]) -> str:
    """The least role a route handler needs: "public", "manager" or "owner" (manager unless
    marked)."""
    return str(getattr(handler, ROLE_ATTR, "manager"))


def requires(role: Role) -> Callable[[H], H]:
    """A route for `role` and above; a lesser role gets 403 (a translated page or JSON)."""
    if role not in ROLE_RANK:
        raise ValueError(f"unknown role {role!r}")

    def decorate(handler: H) -> H:
        @functools.wraps(handler)
        async def checked(request: web.Request, *args: Any, **kwargs: Any) -> web.StreamResponse:
            if not staff(request).may(role):
                raise Forbidden()
            return await handler(request, *args, **kwargs)

        setattr(checked, ROLE_ATTR, role)
        return checked  # type: ignore[return-value]

    return decorate


def public(handler: H) -> H:
    """A route anyone may open (sign-in pages, static files): no session is looked up."""
    setattr(handler, ROLE_ATTR, PUBLIC)
    return handler
