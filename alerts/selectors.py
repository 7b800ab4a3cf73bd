"""Alert reads, scoped to the viewer's dealer subtree."""

from django.db.models import QuerySet

from .models import Alert


def scope_alerts(dealer) -> QuerySet[Alert]:
    return Alert.objects.filter(dealer__path__startswith=dealer.path).select_related("terminal", "dealer")


def alerts_open(dealer, *, terminal=None, limit: int = 50) -> list[Alert]:
    """Open alerts of the dealer's subtree (or of one terminal), newest first."""
    qs = scope_alerts(dealer).filter(closed_at__isnull=True)
    if terminal is not None:
        qs = qs.filter(terminal=terminal)
    return list(qs.order_by("-opened_at", "-id")[:limit])


def alerts_of_terminal(dealer, terminal, *, limit: int = 20) -> list[Alert]:
    """The terminal's alerts, open and past, newest first (its history)."""
    return list(scope_alerts(dealer).filter(terminal=terminal).order_by("-opened_at", "-id")[:limit])
