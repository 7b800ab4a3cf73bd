"""OSMP dealer XML as the public xmlgate clients speak it (docs/gateways/osmp.md, fact 8):
the login and the hex MD5 of the password inside the document, `X-Digital-Sign` as an option."""

import base64
import dataclasses
import hashlib

import pytest

from gateways.adapters.base import Outcome
from gateways.keys import rsa_sign
from gateways.services import adapter_for
from gateways.simulators.base import accepted
from gateways.simulators.services import simulator_set

from .test_osmp import auth, gw, order  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

PASSWORD_MD5 = hashlib.md5(b"demo-osmp-password", usedforsecurity=False).hexdigest()
OTHER_MD5 = hashlib.md5(b"another-password", usedforsecurity=False).hexdigest()

ADAPTER = [
    # (params["auth"], the <auth> element we send, X-Digital-Sign header sent)
    (None, f'<auth login="kit-demo" sign="{PASSWORD_MD5}" signAlg="MD5" />', False),
    ("md5", f'<auth login="kit-demo" sign="{PASSWORD_MD5}" signAlg="MD5" />', False),
    ("rsa", '<auth login="kit-demo" signAlg="SHA256withRSA" />', True),
]


@pytest.mark.parametrize("mode, element, header", ADAPTER)
def test_8_the_adapter_signs_in_the_document_by_default_and_with_the_header_as_an_option(gw, mode, element,  # noqa: F811
                                                                                          header):
    params = {k: v for k, v in {**gw.params, "auth": mode}.items() if v is not None}
    gw.params = params
    gw.save(update_fields=["params"])
    simulator_set(code="osmp", params={"auth": mode or "md5"})
    sent = []
    adapter = adapter_for(gw)
    original = adapter.client.request

    def spy(method, url, **kw):
        sent.append(kw)
        return original(method, url, **kw)

    adapter.client.request = spy
    result = adapter.pay(order())
    assert (result.outcome, result.code) == (Outcome.OK, "status=60")
    assert element.encode() in sent[0]["content"]
    assert ("X-Digital-Sign" in sent[0]["headers"]) is header
    assert PASSWORD_MD5 not in result.exchanges[0].request  # a replayable credential is never stored
    assert accepted("osmp").get().state == "paid"


def _request(client, body: bytes, headers: dict):
    return client.post("/sim/osmp/xmlutf.jsp", body, content_type="text/xml; charset=utf-8", headers=headers)


SIMULATOR = [
    # (the simulator wants, the <auth> attributes sent, X-Digital-Sign sent, answer)
    ("md5", {"sign": PASSWORD_MD5, "signAlg": "MD5"}, False, "0"),
    ("md5", {"sign": PASSWORD_MD5.upper(), "signAlg": "md5"}, False, "0"),
    ("md5", {"sign": OTHER_MD5, "signAlg": "MD5"}, False, "150"),
    ("md5", {"signAlg": "MD5"}, False, "150"),
    ("md5", {"sign": PASSWORD_MD5}, False, "150"),
    ("md5", {"signAlg": "SHA256withRSA"}, True, "150"),
    ("rsa", {"signAlg": "SHA256withRSA"}, True, "0"),
    ("rsa", {"sign": PASSWORD_MD5, "signAlg": "MD5"}, False, "150"),
    ("rsa", {"sign": PASSWORD_MD5, "signAlg": "MD5"}, True, "0"),
]


@pytest.mark.parametrize("wants, attrs, header, answer", SIMULATOR)
def test_8_the_simulator_accepts_the_credential_it_is_configured_for(client, gw, wants, attrs, header,  # noqa: F811
                                                                     answer):
    simulator_set(code="osmp", params={"auth": wants})
    body = adapter_for(gw).build("addOfflinePayment", order())
    auth_attrs = " ".join(f'{k}="{v}"' for k, v in {"login": "kit-demo", **attrs}.items())
    body = body.replace(f'<auth login="kit-demo" sign="{PASSWORD_MD5}" signAlg="MD5" />'.encode(),
                        f"<auth {auth_attrs} />".encode())
    assert f"<auth {auth_attrs} />".encode() in body
    headers = {}
    if header:
        headers = {"X-Digital-Sign": base64.b64encode(rsa_sign(gw.private_key, body)).decode(),
                   "X-Digital-Sign-Alg": "SHA256withRSA"}
    response = _request(client, body, headers)
    assert response.status_code == 200
    assert f'<response result="{answer}"'.encode() in response.content
    assert accepted("osmp").filter(state="paid").count() == (1 if answer == "0" else 0)


def test_8_a_dealer_xml_gateway_without_login_or_password_is_config_and_sends_nothing(gw):  # noqa: F811
    adapter = adapter_for(gw)
    for config in (dataclasses.replace(adapter.config, secret=""),
                   dataclasses.replace(adapter.config, params={**adapter.config.params, "login": ""})):
        result = type(adapter)(config, client=adapter.client).pay(order())
        assert (result.outcome, result.code) == (Outcome.CONFIG, "keys")
    assert not accepted("osmp").exists()


def test_8_an_unknown_auth_setting_is_config(gw):  # noqa: F811
    adapter = adapter_for(gw)
    config = dataclasses.replace(adapter.config, params={**adapter.config.params, "auth": "basic"})
    result = type(adapter)(config, client=adapter.client).check(order())
    assert (result.outcome, result.code) == (Outcome.CONFIG, "config")


def test_8_in_md5_mode_a_reply_is_still_checked_when_we_hold_the_gateways_key(gw):  # noqa: F811
    from gateways import keys

    adapter = adapter_for(gw)
    wrong = type(adapter)(dataclasses.replace(adapter.config, peer_public_key_pem=keys.rsa_generate()[1]),
                          client=adapter.client)
    assert (wrong.pay(order()).outcome, wrong.pay(order()).code) == (Outcome.UNKNOWN, "bad_signature")
    trusting = type(adapter)(dataclasses.replace(adapter.config, peer_public_key_pem="", private_key_pem=""),
                             client=adapter.client)
    assert trusting.status(order()).outcome == Outcome.OK  # the payment the first pay made
