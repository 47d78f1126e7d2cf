"""aiogram Routers, one per conversation. Order matters: the catch-all comes last."""

from aiogram import Router


def get_routers() -> list[Router]:
    from handlers import fallback, start
    from handlers.profile import addresses, profile

    return [start.router, profile.router, addresses.router, fallback.router]
