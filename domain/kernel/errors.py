"""Typed errors raised by domain services and rendered, translated, by one error router."""

from __future__ import annotations

from typing import Any

from domain.kernel.i18n import N_


class DomainError(Exception):
    """A rule of the shop refused something; `message` is an English msgid with {placeholders}."""

    message: str = N_("That can't be done right now.")

    def __init__(self, message: str | None = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(self.message.format(**params) if params else self.message)


class ValidationError(DomainError):
    """Input from a person does not satisfy a rule; they can correct it and try again."""

    message = N_("That doesn't look right. Please try again.")


class NotFound(DomainError):
    """The thing asked for does not exist, or does not belong to the person asking."""

    message = N_("Not found. It may have been removed.")


class LimitReached(DomainError):
    """A per-user limit (e.g. number of addresses) has been reached."""

    message = N_("You've reached the limit for this.")
