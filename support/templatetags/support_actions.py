"""The payment page's action buttons: what the payment's state allows, for the viewer, and requests waiting."""

from django import template
from django.urls import reverse

from support import action_selectors as selectors
from support.approvals import is_support, needs_approval
from support.models import ActionRequest

register = template.Library()


@register.simple_tag(takes_context=True)
def payment_actions(context, payment) -> dict:
    """{"actions": [{"code", "label", "url", "needs_approval"}], "pending": [ActionRequest]} for the viewer."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if payment is None or user is None or not is_support(user):
        return {"actions": [], "pending": []}
    actions = [{"code": code, "label": ActionRequest.Action(code).label,
                "url": reverse("support:action", args=[payment.pk, code]),
                "needs_approval": needs_approval(user=user, action=code, amount=payment.amount)}
               for code in selectors.actions_available(payment)]
    return {"actions": actions, "pending": list(selectors.requests_pending(payment=payment))}
