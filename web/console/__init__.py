"""The merchants' web console (`/console`): the back office in a browser, through the same
domain services as the chat admin. See web/console/README.md."""

from web.console.app import build_console, mount_console
from web.console.sessions import ConsoleSessions

__all__ = ["ConsoleSessions", "build_console", "mount_console"]
