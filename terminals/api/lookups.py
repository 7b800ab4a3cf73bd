"""The terminal's two look-ups before it takes cash: phone number -> operator, and the online check."""

from payments.services.check import account_check
from providers.numbering import phone_lookup

from ..errors import ApiError, Code
from . import parse, render
from .views import api


@api(methods=("GET",))
def phone(request, terminal, number):
    try:
        found = phone_lookup(number)
    except ValueError:
        raise ApiError(Code.INVALID, "Not a Russian mobile number (+79161234567, 89161234567 or 9161234567).",
                       fields={"number": "a Russian mobile number"}) from None
    if found is None:
        raise ApiError(Code.NUMBER_UNKNOWN)
    return render.ok({"number": found.number, "operator": found.operator, "inn": found.inn,
                      "region": found.region, "provider": found.provider, "source": found.source})


@api(methods=("POST",))
def checks(request, terminal):
    doc = parse.json_body(request)
    errors = {}
    provider = parse.text(doc.get("provider"), max_len=64)
    if provider is None:
        errors["provider"] = "required: a provider code (string, up to 64 characters)"
    account = parse.text(doc.get("account"), max_len=64)
    if account is None:
        errors["account"] = "required: a string of up to 64 characters"
    amount = parse.amount(doc.get("amount"))
    if amount is None or amount <= 0:
        errors["amount"] = "required: a positive amount string like 100.00"
    fields = doc.get("fields") or {}
    if parse.extra_fields(fields) is None:
        errors["fields"] = "an object of up to 32 string keys with string values"
    if errors:
        raise ApiError(Code.INVALID, "The check is malformed.", fields=errors)
    answer = account_check(terminal=terminal, provider_code=provider, account=account, amount=amount,
                           fields=fields)
    return render.ok(answer.body())
