"""gateways/http.py against a real local server: keep-alive, an idle connection the server closed,
and what each failure means (nothing sent -> retry; anything after the request left -> unknown)."""

import datetime
import gzip
import http.server
import ipaddress
import socket
import socketserver
import ssl
import threading
import time

import httpx
import pytest

from gateways import http as gw_http
from gateways.adapters.base import Adapter, GatewayConfig, Outcome


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 0.3  # an idle keep-alive connection is closed by the server after this

    def setup(self):
        super().setup()
        self.server.connections += 1

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append((self.path, body, self.headers.get("Cookie")))
        if self.path == "/drop":  # took the request, never answers
            self.close_connection = True
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.path == "/slow":
            time.sleep(0.5)
        payload, headers = b"ok:" + body, []
        if self.path == "/gzip":
            payload, headers = gzip.compress(b"unpacked"), [("Content-Encoding", "gzip")]
        if self.path == "/cookie":
            headers = [("Set-Cookie", "sid=abc; Path=/")]
        if self.path == "/close":
            headers = [("Connection", "close")]
            self.close_connection = True
        self.send_response(201, "Made")
        # X-Name in windows-1251 bytes (send_header writes latin-1: the same bytes go out).
        for name, value in [("Content-Type", "text/plain; charset=windows-1251"),
                            ("X-Name", "Значение".encode("cp1251").decode("latin-1")), *headers]:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # the dropped and refused connections are the point of these tests


@pytest.fixture
def server():
    srv = Server(("127.0.0.1", 0), Handler)
    srv.connections, srv.seen = 0, []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def base(srv, scheme="http"):
    return f"{scheme}://127.0.0.1:{srv.server_address[1]}"


def adapter(client, read_timeout=2.0):
    return Adapter(GatewayConfig(code="t", base_url="", connect_timeout=1.0, read_timeout=read_timeout), client=client)


def test_exchanges_share_one_keep_alive_connection(server):
    c = gw_http.new_client()
    for i in range(3):
        r = c.post(base(server) + f"/ok?n={i}", content=b"x" * 3000)
        assert (r.status_code, r.reason_phrase, r.content) == (201, "Made", b"ok:" + b"x" * 3000)
    assert server.connections == 1
    assert [p for p, _, _ in server.seen] == ["/ok?n=0", "/ok?n=1", "/ok?n=2"]
    assert r.headers["X-Name"].encode("latin-1").decode("cp1251") == "Значение"  # header bytes as sent
    assert r.http_version == "HTTP/1.1" and r.headers["Content-Type"].startswith("text/plain")


def test_a_connection_the_server_closed_while_idle_is_never_written_to(server):
    c = gw_http.new_client()
    assert c.post(base(server) + "/ok", content=b"1").status_code == 201
    time.sleep(0.6)  # the server drops the idle connection
    r = c.post(base(server) + "/ok", content=b"2")
    assert r.content == b"ok:2" and server.connections == 2


def test_a_reply_that_closes_the_connection_is_not_reused(server):
    c = gw_http.new_client()
    c.post(base(server) + "/close", content=b"1")
    c.post(base(server) + "/ok", content=b"2")
    assert server.connections == 2


def test_replies_are_decoded_and_cookies_neither_kept_nor_sent(server):
    c = gw_http.new_client()
    assert c.post(base(server) + "/gzip", content=b"").content == b"unpacked"
    c.post(base(server) + "/cookie", content=b"")
    c.post(base(server) + "/ok", content=b"")
    assert len(c.cookies) == 0 and server.seen[-1][2] is None


def test_a_refused_connection_sent_nothing_and_is_a_retry():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nobody listens there now
    with pytest.raises(httpx.ConnectError):
        gw_http.new_client().post(f"http://127.0.0.1:{port}/ok", content=b"1")
    response, failure, ex = adapter(gw_http.new_client()).send("check", "POST", f"http://127.0.0.1:{port}/ok",
                                                               content=b"1")
    assert response is None and failure.outcome == Outcome.RETRY and ex.response.startswith("not sent")


def test_no_reply_in_time_or_a_dropped_request_is_unknown_never_a_retry(server):
    response, failure, ex = adapter(gw_http.new_client(), read_timeout=0.2).send(
        "pay", "POST", base(server) + "/slow", content=b"1")
    assert response is None and failure.outcome == Outcome.UNKNOWN and "ReadTimeout" in ex.response
    response, failure, ex = adapter(gw_http.new_client()).send("pay", "POST", base(server) + "/drop", content=b"1")
    assert response is None and failure.outcome == Outcome.UNKNOWN and ex.response.startswith("no reply")
    assert [p for p, _, _ in server.seen] == ["/slow", "/drop"]  # both requests did arrive


def test_an_unknown_scheme_is_refused_before_anything_is_sent():
    with pytest.raises(httpx.UnsupportedProtocol):
        gw_http.Transport().handle_request(httpx.Request("POST", "ftp://127.0.0.1/x"))


def _self_signed():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


@pytest.fixture
def tls_server(tmp_path):
    cert, key = _self_signed()
    (tmp_path / "c.pem").write_bytes(cert)
    (tmp_path / "k.pem").write_bytes(key)
    srv = Server(("127.0.0.1", 0), Handler)
    srv.connections, srv.seen = 0, []
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv, tmp_path / "c.pem"
    srv.shutdown()
    srv.server_close()


def test_tls_is_verified_a_certificate_nobody_vouches_for_sends_nothing(tls_server):
    srv, cafile = tls_server
    response, failure, ex = adapter(gw_http.new_client()).send("pay", "POST", base(srv, "https") + "/ok", content=b"1")
    assert response is None and failure.outcome == Outcome.RETRY  # the handshake failed: nothing left
    assert srv.seen == []
    trusting = gw_http.new_client(gw_http.Transport(ssl_context=ssl.create_default_context(cafile=str(cafile))))
    r = trusting.post(base(srv, "https") + "/ok", content=b"2")
    r = trusting.post(base(srv, "https") + "/ok", content=b"3")
    assert r.content == b"ok:3" and srv.connections == 1
