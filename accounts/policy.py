"""Who must use a second factor, and how long an idle session lives."""

from django.conf import settings

from kit.nav import user_roles
from kit.roles import ADMIN, SENIOR, SUPPORT

STAFF_ROLES = frozenset({ADMIN, SUPPORT, SENIOR})


def is_staff_user(user) -> bool:
    """Staff: anyone who can see or move other dealers' money (admin, support, senior support)."""
    return bool(user.is_authenticated and (user.is_staff or user.is_superuser or user_roles(user) & STAFF_ROLES))


def second_factor_required(user) -> bool:
    return settings.KIT_STAFF_2FA and is_staff_user(user)


def idle_limit_seconds(user) -> int:
    minutes = settings.KIT_SESSION_IDLE_MINUTES["staff" if is_staff_user(user) else "dealer"]
    return int(minutes) * 60
