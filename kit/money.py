"""Money: one field type and one rounding rule for the whole platform."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models

KOPECK = Decimal("0.01")
ZERO = Decimal("0.00")


class MoneyError(ValueError):
    """A value that is not an amount of rubles."""


def rub(value) -> Decimal:
    """Return `value` as rubles and kopecks, rounded half-up; refuses floats."""
    if isinstance(value, float):
        raise MoneyError("floats are not money; pass a string or Decimal")
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc
    if not d.is_finite():
        raise MoneyError(f"not an amount: {value!r}")
    return d.quantize(KOPECK, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """`percent` % of `amount`, rounded half-up to kopecks (computed exactly, rounded once)."""
    return rub(amount * percent / Decimal(100))


def fmt(amount: Decimal) -> str:
    """Wire format: dot separator, two places."""
    return f"{rub(amount):.2f}"


class MoneyField(models.DecimalField):
    """NUMERIC(14, 2): rubles and kopecks."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_digits") == 14:
            del kwargs["max_digits"]
        if kwargs.get("decimal_places") == 2:
            del kwargs["decimal_places"]
        return name, path, args, kwargs
