"""The one navigation: each area's pages, shown to the roles that may use them.

An entry whose URL name does not resolve yet (its page has not been built) is left out, so
an app adds its pages to the menu by naming its URLs as listed here.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kit.roles import ADMIN, DEALER, SENIOR, SUPPORT


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str
    roles: frozenset[str]


_STAFF = frozenset({SUPPORT, SENIOR, ADMIN})

# area -> items, in menu order
NAV: list[tuple[str, list[NavItem]]] = [
    (_("Cabinet"), [
        NavItem("cabinet:overview", _("Overview"), frozenset({DEALER})),
        NavItem("cabinet:terminals", _("Terminals"), frozenset({DEALER})),
        NavItem("cabinet:updates", _("Software updates"), frozenset({DEALER})),
        NavItem("cabinet:payments", _("Payments"), frozenset({DEALER})),
        NavItem("cabinet:balance", _("Balance"), frozenset({DEALER})),
        NavItem("cabinet:topups", _("Top-ups"), frozenset({DEALER})),
        NavItem("cabinet:reports", _("Reports"), frozenset({DEALER})),
        NavItem("cabinet:agents", _("Sub-agents"), frozenset({DEALER})),
        NavItem("cabinet:statements", _("Statements"), frozenset({DEALER})),
        NavItem("cabinet:encashments", _("Encashments"), frozenset({DEALER})),
        NavItem("cabinet:commands", _("Commands"), frozenset({DEALER})),
        NavItem("cabinet:alerts", _("Alerts"), frozenset({DEALER})),
        NavItem("cabinet:themes", _("Themes"), frozenset({DEALER})),
        NavItem("cabinet:ads", _("Ads"), frozenset({DEALER})),
        NavItem("cabinet:claims", _("Claims"), frozenset({DEALER})),
        NavItem("cabinet:account", pgettext_lazy("menu", "Account"), frozenset({DEALER})),
    ]),
    (_("Support"), [
        NavItem("support:lookup", _("Cheque lookup"), _STAFF),
        NavItem("support:queue", _("Queue"), _STAFF),
        NavItem("support:approvals", _("Approvals"), _STAFF),
        NavItem("claims:list", _("Claims"), _STAFF),
        NavItem("support:audit", _("Audit"), _STAFF),
        NavItem("gateways:health", _("Gateway health"), _STAFF),
    ]),
    (_("Administration"), [
        NavItem("reconcile:list", _("Reconciliation"), frozenset({ADMIN, SENIOR})),
        NavItem("admin:index", _("Admin"), frozenset({ADMIN})),
    ]),
]


def user_roles(user) -> frozenset[str]:
    """The KIT roles a user holds: its groups, plus admin for superusers, plus dealer for a dealer link."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_kit_roles", None)
    if cached is not None:
        return cached
    roles = set(user.groups.values_list("name", flat=True))
    if user.is_superuser:
        roles.add(ADMIN)
    if hasattr(user, "dealer_link"):
        roles.add(DEALER)
    user._kit_roles = frozenset(roles)
    return user._kit_roles


def nav_for(user) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(area label, [(url, label), ...]), ...] for the areas this user may use."""
    roles = user_roles(user)
    menu = []
    for area, items in NAV:
        links = []
        for item in items:
            if not roles & item.roles:
                continue
            try:
                links.append((reverse(item.url_name), item.label))
            except NoReverseMatch:
                continue
        if links:
            menu.append((area, links))
    return menu


def navigation(request):
    """Context processor: `nav` is the current user's menu."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    return {"nav": nav_for(user)}
