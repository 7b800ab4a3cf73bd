import pytest
from django.urls import get_resolver
from openapi_spec_validator import validate

from terminals.errors import Code

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(kiosk):
    response = kiosk.openapi()
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_served_unsigned_and_is_valid_openapi_3(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_the_schema_describes_every_route(schema):
    import re

    from terminals.api import urls

    routes = {re.sub(r"<str:(\w+)>", r"{\1}", f"/{p.pattern}") for p in urls.urlpatterns if p.name}
    assert routes == set(schema["paths"])
    assert get_resolver().resolve("/api/terminal/v1/openapi.json").url_name == "openapi"


def test_the_schema_lists_every_error_code(schema):
    assert schema["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"] == [
        str(c) for c in Code]
    described = " ".join(r["description"] for path in schema["paths"].values() for op in path.values()
                         for r in op["responses"].values())
    for code in Code:
        assert f"`{code}`" in described, code


def test_the_schema_names_the_four_signature_headers(schema):
    headers = {s["name"] for s in schema["components"]["securitySchemes"].values()}
    assert headers == {"X-KIT-Terminal", "X-KIT-Timestamp", "X-KIT-Nonce", "X-KIT-Signature"}
    signed = [op for path in schema["paths"].values() for op in path.values() if op.get("security")]
    assert len(signed) == 11  # 7 + encashments + logs + the release manifest and archive


def test_a_payment_answer_matches_the_schema(kiosk, schema):
    from openapi_schema_validator import OAS31Validator

    from .conftest import payment

    body = kiosk.post_payment(payment(txn="1")).json()
    resolver_schema = {**schema["components"]["schemas"]["Payment"], "components": schema["components"]}
    OAS31Validator(resolver_schema).validate(body)
    config_schema = {**schema["components"]["schemas"]["Config"], "components": schema["components"]}
    OAS31Validator(config_schema).validate(kiosk.config().json())


PHONE_SPELLINGS = [
    # (a number as a kiosk may send it, admitted by the schema's pattern)
    ("+79161234567", True), ("89161234567", True), ("79161234567", True), ("9161234567", True),
    ("+7 (916) 123-45-67", True), ("8 916 1234567", True),
    ("+7916123456", False), ("4951234567", False), ("+7-916-123-45-67x", False),
]


@pytest.mark.parametrize("number, admitted", PHONE_SPELLINGS)
def test_the_phone_pattern_admits_only_numbers_the_server_reads(number, admitted):
    import re

    from providers.selectors import phone_normalize
    from terminals.api.openapi import SCHEMA

    pattern = SCHEMA["paths"]["/phone/{number}"]["get"]["parameters"][0]["schema"]["pattern"]
    assert bool(re.search(pattern, number)) is admitted
    if admitted:
        assert phone_normalize(number) == "9161234567"
