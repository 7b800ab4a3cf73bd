"""`make run`'s last step: gunicorn, the Celery worker and beat, stopped together by one Ctrl-C.

    .venv/bin/python scripts/run.py --host 127.0.0.1 --port 8000

Each child runs in a process group of its own, so a Ctrl-C in the terminal reaches this script
(and make) only; the script then sends every child one SIGTERM (gunicorn: graceful stop; Celery:
warm shutdown), waits for them, kills what is left after the grace period, and exits 0. A second
Ctrl-C while waiting skips the grace period. Exits 1 if a child stopped by itself (the others are
stopped too).
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRACE_SECONDS = 20.0


def commands(host: str, port: int, var_dir: Path) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    return {
        "web": [str(bin_dir / "gunicorn"), "kit.wsgi", "-b", f"{host}:{port}", "-k", "gthread",
                "--workers", "2", "--threads", "16", "--timeout", "60"],
        "worker": [str(bin_dir / "celery"), "-A", "kit", "--quiet", "worker", "-Q", "default,gateway",
                   "--concurrency", "4", "--pool", "threads"],
        "beat": [str(bin_dir / "celery"), "-A", "kit", "--quiet", "beat",
                 "-s", str(var_dir / "celerybeat-schedule")],
    }


class Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise Stop


def _alive(children):
    return [p for p in children.values() if p.poll() is None]


def _signal_all(children, sig):
    for proc in _alive(children):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass


def stop(children, grace: float) -> None:
    """One SIGTERM to each child's group, wait, then SIGKILL whatever still runs."""
    _signal_all(children, signal.SIGTERM)
    deadline = time.monotonic() + grace
    try:
        while _alive(children) and time.monotonic() < deadline:
            time.sleep(0.1)
    except Stop:
        pass
    _signal_all(children, signal.SIGKILL)
    for proc in children.values():
        proc.wait()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--grace", type=float, default=GRACE_SECONDS)
    args = parser.parse_args(argv)
    var_dir = Path(os.environ.get("KIT_VAR_DIR") or ROOT / "var")
    var_dir.mkdir(parents=True, exist_ok=True)

    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGHUP, _raise_stop)
    children: dict[str, subprocess.Popen] = {}
    code = 0
    try:
        for name, cmd in commands(args.host, args.port, var_dir).items():
            children[name] = subprocess.Popen(cmd, cwd=ROOT, process_group=0)
        while True:
            ended = [name for name, proc in children.items() if proc.poll() is not None]
            if ended:
                print(f"run: {', '.join(ended)} stopped by itself; stopping the rest", file=sys.stderr)
                code = 1
                break
            time.sleep(0.5)
    except Stop:
        pass
    # Ctrl-C again during the wait must not leave children behind: keep catching it.
    try:
        stop(children, args.grace)
    except Stop:
        stop(children, 0)
    print("run: stopped", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
