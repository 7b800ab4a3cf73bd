"""gunicorn settings read from the working directory by every `gunicorn kit.wsgi` (make run, bench,
Dockerfile, docker-compose): command-line flags still win.

What gunicorn refuses before Django sees the request (a request line over the limit, a
malformed request line or header, a header section too large) is answered in the terminal
API's JSON error shape instead of gunicorn's HTML page, so a kiosk reads the same
`{"error": {"code", "message"}}` whatever refused it.
"""

import importlib.util
import json
import os
from pathlib import Path

import environ
from gunicorn import util

# The longest request line gunicorn accepts (its own maximum): an API path with its query is
# far shorter; anything longer is refused as 400 `invalid` in JSON.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

_CODES = {400: "invalid", 403: "invalid", 431: "too_large", 501: "invalid"}


def json_error(sock, status_int, reason, mesg):
    """gunicorn's util.write_error, writing the API's error shape (one line of JSON)."""
    code = _CODES.get(status_int, "internal")
    body = json.dumps({"error": {"code": code, "message": f"{reason}: {mesg}" if mesg else reason}}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode("latin-1")
    util.write_nonblock(sock, head + body)


# The workers call util.write_error by module attribute; the config file runs in the master
# before they fork, so they inherit this.
util.write_error = json_error

# Which forwarded headers gunicorn believes: its own default trusts X-Forwarded-Proto from
# 127.0.0.1, so a spoofed `X-Forwarded-Proto: https` sent to a local port would skip the HTTPS
# redirect. Only a configured proxy (KIT_BEHIND_PROXY on, its addresses in KIT_PROXY_ADDRESSES)
# is believed; with the setting off the list is empty.


_env = environ.Env()
environ.Env.read_env(
    _env.str("KIT_ENV_FILE", default=str(Path(__file__).resolve().parent / ".env")), overwrite=False
)

if _env.bool("KIT_BEHIND_PROXY", default=False):
    forwarded_allow_ips = _env.str("KIT_PROXY_ADDRESSES", default="127.0.0.1,::1")
else:
    forwarded_allow_ips = ""
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kit.settings")

# gunicorn's lines in the format and time zone of Django's and Celery's (kit/logs.py), loaded by
# path: importing the `kit` package would load the Celery app into the master.
_spec = importlib.util.spec_from_file_location("kit_logs", Path(__file__).resolve().parent / "kit" / "logs.py")
_kit_logs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_kit_logs)

logconfig_dict = _kit_logs.config(_env.str("LOG_LEVEL", default="INFO"))
