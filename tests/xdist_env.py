"""Loaded with `-p tests.xdist_env` before Django's settings: each parallel test worker gets its own Redis db.

pytest-django gives every xdist worker its own test database (test_<name>_gw0, ...); the cache,
the nonces and the broker live in Redis, so two workers sharing one Redis database would clear
each other's cache and count each other's messages. Worker N uses the database after the one
REDIS_URL names, plus N.
"""

import os
import re

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_url = os.environ.get("REDIS_URL", "")
if _worker.startswith("gw") and _url:
    _match = re.match(r"^(redis://[^/]+)(?:/(\d+))?$", _url)
    if _match:
        base = int(_match.group(2) or 0)
        os.environ["REDIS_URL"] = f"{_match.group(1)}/{base + 1 + int(_worker[2:])}"
