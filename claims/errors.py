"""Stable codes for refused claim operations (tests assert the code, people read the message)."""

from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Code(StrEnum):
    ILLEGAL_TRANSITION = "illegal_transition"
    OUTCOME_REQUIRED = "outcome_required"
    OUTCOME_CONTRADICTS_PAYMENT = "outcome_contradicts_payment"
    PAYMENT_REQUIRED = "payment_required"
    COMMENT_REQUIRED = "comment_required"
    ANSWER_REQUIRED = "answer_required"
    CLAIM_CLOSED = "claim_closed"
    ALREADY_LINKED = "already_linked"
    RECEIVED_IN_FUTURE = "received_in_future"


MESSAGES = {
    Code.ILLEGAL_TRANSITION: _("This step is not allowed from the claim's current status."),
    Code.OUTCOME_REQUIRED: _("Choose the outcome."),
    Code.OUTCOME_CONTRADICTS_PAYMENT: _(
        "The outcome contradicts the payment: «credited» needs a succeeded payment, «refunded» a cancelled one."),
    Code.PAYMENT_REQUIRED: _("Link the payment first: this outcome is checked against it."),
    Code.COMMENT_REQUIRED: _("A comment is required."),
    Code.ANSWER_REQUIRED: _("Write the answer to the customer."),
    Code.CLAIM_CLOSED: _("The claim is closed."),
    Code.ALREADY_LINKED: _("The claim is already linked to a payment."),
    Code.RECEIVED_IN_FUTURE: _("The time of receipt cannot be in the future."),
}


class ClaimError(Exception):
    """A refused claim operation; `code` is stable, `message` translated."""

    def __init__(self, code: Code):
        self.code = code
        super().__init__(str(code))

    @property
    def message(self) -> str:
        return str(MESSAGES[self.code])
