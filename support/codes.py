"""A gateway attempt as support reads it: the result code's meaning from its adapter's table, and
the stored exchange with anything secret-looking masked once more before it reaches a page.

Adapters already mask what they store; masking again on display is cheap insurance against a
field an adapter forgot (a page must never show a key or a password).
"""

import re

from django.utils.translation import gettext_lazy as _

from gateways.adapters import comepay, contact, cyberplat, osmp, provider

# Codes the shared adapter plumbing writes for every gateway (gateways/adapters/base.py).
COMMON = {
    "transport": _("no answer over the network (not sent, or the reply was lost)"),
    "bad_reply": _("a reply we could not read"),
    "bad_signature": _("the reply's signature does not verify: not trusted"),
    "keys": _("our private key or the gateway's public key is not set"),
}


def _tuple_table(table: dict) -> dict[str, str]:
    return {str(code): row[2] for code, row in table.items()}


# protocol -> {code as stored on the attempt: meaning from the adapter's own table}
TABLES: dict[str, dict[str, str]] = {
    "cyberplat": {str(code): c.meaning for code, c in cyberplat.CODES.items()},
    # Per-payment results first: a request-level code with the same number is shown as stored.
    "osmp": {**_tuple_table(osmp.REQUEST_CODES), **_tuple_table(osmp.RESULT_CODES),
             **{f"status={k}": v for k, v in osmp.FINAL_STATUSES.items()}},
    "contact": _tuple_table(contact.RE_CODES),
    "comepay": _tuple_table(comepay.RESULT_CODES),
    "provider": _tuple_table(provider.RESULT_CODES),
}


def code_meaning(protocol: str, code: str) -> str:
    """The meaning of `code` in `protocol`'s table, a shared code's meaning, or "" if unlisted."""
    if not code:
        return ""
    if code in TABLES.get(protocol, {}):
        return TABLES[protocol][code]
    if code in COMMON:
        return str(COMMON[code])
    if code.startswith("http_"):
        return str(_("HTTP status %(status)s from the gateway") % {"status": code[5:]})
    return ""


_SECRET_NAMES = r"(?:pass(?:word|wd)?|secret|token|api[_-]?key|private[_-]?key|key|sign(?:ature)?|pin)"
# name=value in query strings and form bodies, "name": "value" in JSON, <name>value</name> in XML.
_PAIR = re.compile(rf"(?i)(\b[\w.-]*{_SECRET_NAMES}[\w.-]*\"?\s*[=:]\s*\"?)([^\s&\"',<]+)")
_XML = re.compile(rf"(?i)(<([\w.-]*{_SECRET_NAMES}[\w.-]*)>)([^<]*)(</\2>)")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)


def mask(text: str) -> str:
    """`text` with secret-looking values replaced by ***."""
    if not text:
        return ""
    text = _PEM.sub("***", text)
    text = _XML.sub(lambda m: f"{m.group(1)}***{m.group(4)}", text)
    return _PAIR.sub(lambda m: f"{m.group(1)}***", text)
