"""Correction actions on payments and the approvals page (included by support/urls.py)."""

from django.urls import path

from support import actions

urlpatterns: list = [
    path("payments/<int:payment_id>/actions/<slug:action>/", actions.payment_action, name="action"),
    path("approvals/", actions.approvals, name="approvals"),
    path("approvals/<int:request_id>/", actions.approval_decide, name="approval_decide"),
    path("queue/resend/", actions.bulk_resend, name="bulk_resend"),
]
