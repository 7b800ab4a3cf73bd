"""The terminal API leaves the middleware chain after SecurityMiddleware (kit/middleware.py)."""

from .conftest import payment


def test_api_answers_skip_the_peoples_middleware(kiosk):
    response = kiosk.post_payment(payment(txn="1"))
    assert response.status_code == 201
    headers = {k.lower() for k in response.headers}
    # Added by CSP, clickjacking, session and locale middleware on people's pages: not here.
    assert not headers & {"content-security-policy", "x-frame-options", "set-cookie", "content-language"}
    assert "vary" not in headers
    # SecurityMiddleware still runs first, and the body is sized (never chunked).
    assert response.headers["x-content-type-options"] == "nosniff"
    assert int(response.headers["content-length"]) == len(response.content)


def test_unknown_api_paths_are_the_apis_own_404(kiosk):
    response = kiosk.http.get("/api/terminal/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_peoples_pages_still_get_their_middleware(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "content-security-policy" in {k.lower() for k in response.headers}
    assert response["X-Frame-Options"] == "DENY"
