"""gunicorn settings shared by `make run`, docker-compose and the bench (`-c kit/gunicorn_conf.py`).

Which forwarded headers gunicorn believes: gunicorn's own default trusts X-Forwarded-Proto from
127.0.0.1, so a spoofed `X-Forwarded-Proto: https` sent to a local port would skip the HTTPS
redirect. Only a configured proxy (KIT_BEHIND_PROXY on, its addresses in KIT_PROXY_ADDRESSES)
is believed; with the setting off the list is empty.
"""

import os
from pathlib import Path

import environ

_env = environ.Env()
environ.Env.read_env(
    _env.str("KIT_ENV_FILE", default=str(Path(__file__).resolve().parent.parent / ".env")), overwrite=False
)

if _env.bool("KIT_BEHIND_PROXY", default=False):
    forwarded_allow_ips = _env.str("KIT_PROXY_ADDRESSES", default="127.0.0.1,::1")
else:
    forwarded_allow_ips = ""
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kit.settings")
