from decimal import Decimal

from django import template
from django.utils.formats import number_format

from kit.money import rub as to_rub

register = template.Library()


@register.filter
def rub(value):
    """An amount in rubles, localised, with the ruble sign: "1 000,50 ₽" (ru) / "1,000.50 ₽" (en)."""
    if value in (None, ""):
        return ""
    amount = to_rub(value if isinstance(value, Decimal) else str(value))
    return f"{number_format(amount, 2, use_l10n=True, force_grouping=True)}\u00a0₽"
