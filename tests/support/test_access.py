"""Access, generated from the site's URL patterns: every URL under /support/ (the console, its
actions, the staff claim pages: whatever is added there is covered) refuses dealers (403) and
sends anonymous users to log in; support, senior support and admins get in."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db


def _walk(patterns, prefix="", namespace=""):
    """(route, URL name with its namespaces, converters) of every pattern under `patterns`."""
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), f"{namespace}:{p.name}" if namespace else p.name, p.pattern.converters


def _support_patterns():
    """Every URL of the site under /support/ (the console, its actions, the staff claim pages...)."""
    return [w for w in _walk(get_resolver().url_patterns) if w[0].startswith("support/")]


def _sample(converter, pk: int):
    """A value the converter takes: the payment's id for numbers, a well-formed claim number for claims."""
    if converter.regex == "[0-9]+":
        return pk
    if converter.regex.startswith("CL-"):
        return "CL-2026-000001"
    return "1"


def _urls(payment_pk: int) -> list[str]:
    """Every /support/ URL, with an existing payment's id (or 1) wherever the pattern takes an argument."""
    urls = []
    for route, name, converters in _support_patterns():
        assert name, f"name the URL pattern {route!r} so the access test can reach it"
        kwargs = {k: _sample(conv, payment_pk) for k, conv in converters.items()}
        urls.append(reverse(name, kwargs=kwargs))
    return urls


def test_the_console_has_its_reading_pages_under_support():
    names = {name for _route, name, _conv in _support_patterns()}
    assert {"support:lookup", "support:cheque", "support:payment", "support:queue", "support:audit"} <= names
    assert reverse("support:lookup") == "/support/"


@pytest.mark.parametrize("persona", ["dealer", "subdealer", "foreigner"])
def test_dealers_get_403_on_every_support_url_for_get_and_post(client, foreign, pay, persona):
    p = pay("1001", "1", status="failed", reason="declined")
    client.login(username=persona, password="kit-demo")
    urls = _urls(p.pk)
    for url in urls:
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            # A GET-only page answers a POST with 405 before anything else; never 200 or a redirect.
            assert status in ((403,) if method == "get" else (403, 405)), (persona, method, url, status)
    assert len(urls) >= 5


def test_anonymous_users_are_sent_to_log_in_from_every_support_url(client, pay):
    p = pay("1001", "1")
    for url in _urls(p.pk):
        resp = client.get(url)
        assert resp.status_code == 302, url
        assert resp["Location"].startswith("/accounts/login/?next=/support/"), url


@pytest.mark.parametrize("persona", ["support", "senior", "admin"])
def test_support_senior_and_admins_read_the_console(client, pay, persona):
    p = pay("1001", "1", status="failed", reason="declined")
    client.login(username=persona, password="kit-demo")
    for name, kwargs in [("lookup", {}), ("queue", {}), ("audit", {}), ("payment", {"pk": p.pk})]:
        assert client.get(reverse(f"support:{name}", kwargs=kwargs)).status_code == 200, (persona, name)


def test_a_dealer_sees_a_clear_refusal_page(client, world):
    client.login(username="dealer", password="kit-demo")
    resp = client.get("/support/queue/")
    assert resp.status_code == 403
    assert 'id="forbidden"' in resp.content.decode()


def test_the_menu_shows_the_console_to_support_only(client, world):
    client.login(username="support", password="kit-demo")
    body = client.get("/support/").content.decode()
    assert 'href="/support/queue/"' in body and 'href="/support/audit/"' in body
    client.login(username="dealer", password="kit-demo")
    body = client.get("/cabinet/").content.decode()
    assert 'href="/support/queue/"' not in body


def test_a_payment_that_does_not_exist_is_404(support_client):
    assert support_client.get("/support/payments/999999/").status_code == 404
