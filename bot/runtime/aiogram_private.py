"""The one place that touches an aiogram internal; tests/unit/test_aiogram_private.py fails
loudly if an aiogram upgrade changes it.

aiogram has no public way to detach a router from its parent, and a router can have one parent
only. The feature routers are module-level (house style), so a second Dispatcher in the same
process (tests, the demo, the benches) can include them only after the first one let go.
"""

from __future__ import annotations

from aiogram import Router


def detach_routers(parent: Router) -> None:
    """Free `parent`'s sub-routers, recursively, so another Dispatcher can include them."""
    for router in parent.sub_routers:
        detach_routers(router)
        router._parent_router = None
    parent.sub_routers.clear()
