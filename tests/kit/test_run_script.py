"""`make run`'s processes (scripts/run.py): one Ctrl-C stops them all, quietly."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
READY = ("Listening at: http://", "celery@", "beat: Starting")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _session_members(sid: int) -> list[str]:
    """Every live process of a session (all that scripts/run.py started, whatever their group)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(f"{entry.name} {stat[:stat.rindex(')') + 1]}")
    return members


def _wait_for(log: Path, needles, proc, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if all(n in text for n in needles):
            return text
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"run.py did not come up within {timeout} s:\n{log.read_text(errors='replace')}")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_one_sigint_stops_web_worker_and_beat_quietly_and_leaves_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "PYTHONWARNINGS")}
    env.update(
        KIT_ENV_FILE=str(tmp_path / "missing.env"), KIT_VAR_DIR=str(tmp_path / "var"),
        SECRET_KEY="run-test", KIT_FIELD_KEY=Fernet.generate_key().decode(), KIT_TLS="0", DEBUG="0",
        # Nothing for the worker to do while the test runs (the database under tmp_path is empty).
        KIT_SWEEP_SECONDS="3600",
        # `make run` collects the static files before it starts run.py; a fresh checkout has none yet.
        KIT_STATIC_ROOT=str(tmp_path / "static"),
    )
    (tmp_path / "static").mkdir()
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "scripts/run.py", "--port", str(_free_port()), "--grace", "15"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        started = _wait_for(log, READY, proc, timeout=60)
        assert len(_session_members(proc.pid)) >= 4  # run.py, gunicorn master and workers, worker, beat

        # What a Ctrl-C in the terminal does: SIGINT to the foreground process group.
        os.killpg(proc.pid, signal.SIGINT)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for line in _session_members(proc.pid):
            os.kill(int(line.split()[0]), signal.SIGKILL)

    text = log.read_text(errors="replace")
    assert code == 0
    assert _session_members(proc.pid) == []
    shutdown_lines = text[len(started):].splitlines()
    assert len(shutdown_lines) <= 15, text
    assert text.rstrip().endswith("run: stopped")
    assert "Traceback" not in text and "Warning" not in text and "WARNING" not in text, text
