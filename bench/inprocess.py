"""CPU per request in one process, with no HTTP server and no load generator in the way.

The same requests as bench/load.py (`plain`: the bare one-row view; `signed`: a signed
POST /api/terminal/v1/payments), built before the clock starts, then handed to the WSGI
application one after another: CPU milliseconds per request of this process (Django, the
view, the database and Redis clients; not PostgreSQL's or Redis's own CPU), and optionally
a cProfile of the run. On a busy machine CPU time moves much less than throughput does.

Usage (the bench's environment: scripts/bench.sh leaves its database and terminal key):
  python -m bench.inprocess plain 3000
  python -m bench.inprocess signed 2000 --profile cumtime
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kit.settings")

from bench.load import Target  # noqa: E402
from kit.wsgi import application  # noqa: E402


def environ(path: str, body: bytes, headers: dict) -> dict:
    env = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "RAW_URI": path, "QUERY_STRING": "",
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
           "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
           "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1"}
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        env[key if key == "CONTENT_TYPE" else "HTTP_" + key] = value
    return env


def call(env: dict) -> str:
    status = []
    b"".join(application(env, lambda s, h, exc_info=None: status.append(s)))
    return status[0].split()[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["plain", "signed"])
    ap.add_argument("requests", type=int)
    ap.add_argument("--terminal", default="8001")
    ap.add_argument("--key", type=Path, default=Path("var/bench/terminal.key"))
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--profile", metavar="SORT", help="print a cProfile (CPU time) sorted by SORT")
    args = ap.parse_args()
    target = Target(args.kind, args.terminal, args.key if args.kind == "signed" else None)
    envs = [environ(*target.request()) for _ in range(args.requests + args.warmup)]
    for env in envs[:args.warmup]:
        call(env)
    profile = cProfile.Profile(time.process_time) if args.profile else None
    statuses: dict[str, int] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    if profile:
        profile.enable()
    for env in envs[args.warmup:]:
        code = call(env)
        statuses[code] = statuses.get(code, 0) + 1
    if profile:
        profile.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{args.kind}: {args.requests} requests, CPU {1000 * cpu / args.requests:.3f} ms a request "
          f"(wall {1000 * wall / args.requests:.3f} ms) {statuses}")
    if profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(args.profile).print_stats(40)
        print(out.getvalue())


if __name__ == "__main__":
    main()
