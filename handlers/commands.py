"""Every chat command, grouped, with who may use it: the one list /help and the command menus
(bot/runtime/commands.py) are made from.

A new command adds one line here; tests/e2e/test_help_menus.py reads the commands the routers
really register and fails when one of them is missing from this list (and so from /help).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.kernel.i18n import N_
from domain.staff.service import ROLE_RANK, Permission, Role


@dataclass(frozen=True, slots=True)
class ChatCommand:
    name: str  # without the slash
    description: str  # msgid, also the menu's description
    usage: str = ""  # arguments shown in /help, e.g. "order-number [tracking-number]"
    menu: bool = True  # also in Telegram's command menu (the "/" button)
    aliases: tuple[str, ...] = ()  # accepted too, not shown in menus
    permission: Permission | None = None  # a switch an owner may turn off for managers


@dataclass(frozen=True, slots=True)
class CommandGroup:
    title: str  # msgid
    role: Role | None  # None: everybody; else at least this role
    commands: tuple[ChatCommand, ...]


GROUPS: tuple[CommandGroup, ...] = (
    CommandGroup(
        N_("Shopping"),
        None,
        (
            ChatCommand("start", N_("Main menu")),
            ChatCommand("catalog", N_("Browse the catalogue")),
            ChatCommand("search", N_("Search for goods"), N_("[words]")),
            ChatCommand("foryou", N_("Picked for you")),
            ChatCommand("buyagain", N_("Order again what you bought before")),
            ChatCommand("favorites", N_("Your favourite goods"), aliases=("favourites",)),
            ChatCommand("cart", N_("Your shopping cart")),
            ChatCommand("orders", N_("Your orders")),
            ChatCommand("points", N_("Your points and membership tier")),
            ChatCommand("alerts", N_("Back-in-stock and price-drop alerts")),
            ChatCommand("subscriptions", N_("Your subscriptions")),
        ),
    ),
    CommandGroup(
        N_("You and this chat"),
        None,
        (
            ChatCommand("profile", N_("Your profile, phone and addresses")),
            ChatCommand("language", N_("Change language")),
            ChatCommand("settings", N_("Promotions on or off")),
            ChatCommand("help", N_("What this bot can do")),
            ChatCommand("contact", N_("Write to the shop")),
            ChatCommand("cancel", N_("Cancel the current step")),
        ),
    ),
    CommandGroup(
        N_("Running the shop"),
        "manager",
        (
            ChatCommand("admin", N_("The shop's admin menu and setup checklist")),
            ChatCommand("console", N_("A sign-in link to the web console")),
            ChatCommand("process", N_("Start preparing a paid order"), N_("order-number")),
            ChatCommand("ship", N_("Mark an order shipped"), N_("order-number [tracking-number]")),
            ChatCommand("paid", N_("Record a payment made outside Telegram"), N_("order-number")),
            ChatCommand("deliver", N_("Mark an order delivered"), N_("order-number")),
            ChatCommand("refunded", N_("Record or make a refund"), N_("order-number [amount]")),
            ChatCommand("returned", N_("Put returned goods back in stock"), N_("order-number")),
            ChatCommand("stock", N_("Low stock and stock adjustments")),
            ChatCommand("report", N_("Sales reports"), permission="revenue"),
            ChatCommand("campaign", N_("Promotional campaigns")),
            ChatCommand("subscribers", N_("Who subscribes to what")),
            ChatCommand("support", N_("Shoppers' questions, open and answered")),
        ),
    ),
    CommandGroup(
        N_("Owners only"),
        "owner",
        (
            ChatCommand("staff", N_("Managers and owners")),
            ChatCommand("audit", N_("Who changed what")),
            ChatCommand(
                "subplan",
                N_("A subscription plan for a product"),
                N_("product-number Stars-a-month tier|link name-or-link"),
            ),
            ChatCommand("subrefund", N_("Refund a subscription"), N_("subscription-number")),
            ChatCommand("maintenance", N_("Close the shop for a while, or reopen it")),
            ChatCommand(
                "rebuild_recs", N_("Rebuild the recommendations now"), N_("[full]"), menu=False
            ),
        ),
    ),
)


def allowed_groups(
    role: Role | None, permissions: frozenset[Permission] = frozenset()
) -> list[CommandGroup]:
    """The groups a person with `role` may use, each with only the commands they may use
    (`permissions`: the switches that are on for them; owners have every one)."""
    rank = ROLE_RANK.get(role or "", 0)
    out: list[CommandGroup] = []
    for group in GROUPS:
        if group.role is not None and rank < ROLE_RANK[group.role]:
            continue
        commands = tuple(
            c
            for c in group.commands
            if c.permission is None or role == "owner" or c.permission in permissions
        )
        out.append(CommandGroup(group.title, group.role, commands))
    return out


def all_command_names() -> set[str]:
    """Every name the list knows, aliases included."""
    return {n for g in GROUPS for c in g.commands for n in (c.name, *c.aliases)}
