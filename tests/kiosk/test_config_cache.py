"""The server's config is cached in the store with its ETag: a 304 keeps it, and the kiosk sells from it offline."""

import pytest

from kiosk.sync import config_refresh

pytestmark = pytest.mark.django_db


class Recorder:
    def __init__(self, h):
        self.headers = []
        self.statuses = []
        inner = h.transport

        class Wrapped:
            def handle_request(_, request):
                response = inner.handle_request(request)
                if request.url.path.endswith("/config"):
                    self.headers.append(request.headers.get("if-none-match"))
                    self.statuses.append(response.status_code)
                return response

        h.transport = Wrapped()


def test_an_unchanged_config_is_a_304_and_the_cache_stays(make_kiosk):
    h = make_kiosk()
    cached, etag = h.store.config_cached()
    rec = Recorder(h)
    assert config_refresh(store=h.store, client=h.kiosk.client, link=h.kiosk.link)
    assert rec.headers == [etag]
    assert rec.statuses == [304]
    assert h.store.config_cached() == (cached, etag)


def test_a_kiosk_restarted_offline_sells_from_the_cached_config(make_kiosk, tmp_path):
    first = make_kiosk(tmp_path / "k")
    first.close()
    h = make_kiosk(tmp_path / "k", enroll=False, start=False)
    h.online = False
    h.boot()
    h.kiosk.link.fail()
    assert h.flow.provider_by_code("mts")["name"] == "МТС"
    h.clock.advance(2)
    h.ticks(2)
    h.pay("mts", "9161234567", 100)
    assert h.store.payment_by_txn("1").offline
