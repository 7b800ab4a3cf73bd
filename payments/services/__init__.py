"""Payment operations. Every status change goes through `payment_transition`."""

from .accept import PaymentRequest, payment_accept, payment_held_resume
from .transition import TRANSITIONS, payment_transition

__all__ = ["PaymentRequest", "payment_accept", "payment_held_resume", "TRANSITIONS", "payment_transition"]
