"""Cabinet access: every read of a tenant's row is scoped to the viewer's subtree before the id.

A foreign id is a 404 (Http404 from get_object_or_404 on the scoped queryset), never a 403
that would tell the row exists.
"""

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from payments.models import Payment
from terminals.models import Encashment, Terminal, TerminalCommand, TerminalLog

from .models import Dealer, DealerUser, ExportJob, LedgerEntry, TopUpRequest


def scope_dealers(dealer: Dealer) -> QuerySet[Dealer]:
    return Dealer.objects.filter(path__startswith=dealer.path)


def scope_terminals(dealer: Dealer) -> QuerySet[Terminal]:
    return Terminal.objects.filter(dealer__path__startswith=dealer.path)


def scope_payments(dealer: Dealer) -> QuerySet[Payment]:
    if not dealer.children.exists():
        # A leaf dealer (most sub-agents): the indexed dealer_id, no join to dealers.
        return Payment.objects.filter(dealer_id=dealer.pk)
    return Payment.objects.filter(dealer_id__in=scope_dealers(dealer).values("pk"))


def scope_ledger(dealer: Dealer) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(dealer__path__startswith=dealer.path)


def access_dealer(dealer: Dealer, pk: int) -> Dealer:
    return get_object_or_404(scope_dealers(dealer), pk=pk)


def access_terminal(dealer: Dealer, pk: int) -> Terminal:
    return get_object_or_404(scope_terminals(dealer).select_related("dealer"), pk=pk)


def access_payment(dealer: Dealer, pk: int) -> Payment:
    return get_object_or_404(scope_payments(dealer).select_related("terminal", "provider", "dealer"), pk=pk)


def scope_encashments(dealer: Dealer) -> QuerySet[Encashment]:
    return Encashment.objects.filter(terminal__dealer__path__startswith=dealer.path)


def access_encashment(dealer: Dealer, pk: int) -> Encashment:
    return get_object_or_404(scope_encashments(dealer).select_related("terminal", "terminal__dealer"), pk=pk)


def scope_commands(dealer: Dealer) -> QuerySet[TerminalCommand]:
    return TerminalCommand.objects.filter(terminal__dealer__path__startswith=dealer.path)


def scope_logs(dealer: Dealer) -> QuerySet[TerminalLog]:
    return TerminalLog.objects.filter(terminal__dealer__path__startswith=dealer.path)


def access_log(dealer: Dealer, pk: int) -> TerminalLog:
    return get_object_or_404(scope_logs(dealer).select_related("terminal"), pk=pk)


def access_terminals(dealer: Dealer, ids) -> list[Terminal]:
    """Every terminal named by `ids`, or 404 when any of them is outside the subtree (or not there)."""
    wanted = {int(i) for i in ids if str(i).isdigit() and len(str(i)) <= 18}
    if len(wanted) != len(set(ids)):
        raise Http404
    found = list(scope_terminals(dealer).filter(pk__in=wanted).order_by("number"))
    if len(found) != len(wanted):
        raise Http404
    return found


def access_export(dealer: Dealer, user, pk: int) -> ExportJob:
    """An export is its creator's, and only while the creator still sees its dealer."""
    return get_object_or_404(ExportJob.objects.filter(dealer__path__startswith=dealer.path, user=user), pk=pk)


def access_subagent(dealer: Dealer, pk: int) -> Dealer:
    """A dealer strictly below the viewer's (its own dealer is not its sub-agent: 404)."""
    return get_object_or_404(scope_dealers(dealer).exclude(pk=dealer.pk), pk=pk)


def access_dealer_user(dealer: Dealer, pk: int) -> DealerUser:
    """A cabinet user of a sub-agent of the viewer's dealer."""
    return get_object_or_404(DealerUser.objects.select_related("user", "dealer")
                             .filter(dealer__path__startswith=dealer.path).exclude(dealer=dealer), pk=pk)


def access_topup(dealer: Dealer, pk: int) -> TopUpRequest:
    return get_object_or_404(TopUpRequest.objects.filter(dealer__path__startswith=dealer.path), pk=pk)
