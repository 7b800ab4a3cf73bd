"""Roles as Django groups. `roles_sync` makes the groups match this table (idempotent)."""

from django.contrib.auth.models import Group, Permission

ADMIN, SUPPORT, SENIOR, DEALER = "admin", "support", "senior support", "dealer"

_VIEW_SUPPORT = [
    "payments.view_payment", "payments.view_event", "payments.view_attempt",
    "terminals.view_terminal", "dealers.view_dealer", "dealers.view_ledgerentry",
    "providers.view_provider", "providers.view_category", "gateways.view_gateway", "gateways.view_route",
]
ROLES: dict[str, list[str] | str] = {
    ADMIN: "__all__",
    SUPPORT: _VIEW_SUPPORT,
    # Senior support also corrects payments (resend, write off) and resolves reconciliation.
    SENIOR: [*_VIEW_SUPPORT, "payments.change_payment"],
    # Dealers use the cabinet, not the admin: no model permissions.
    DEALER: [],
}


def roles_sync() -> dict[str, Group]:
    groups = {}
    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        if perms == "__all__":
            group.permissions.set(Permission.objects.all())
        else:
            wanted = []
            for label in perms:
                app, codename = label.split(".")
                wanted.extend(Permission.objects.filter(content_type__app_label=app, codename=codename))
            group.permissions.set(wanted)
        groups[name] = group
    return groups
