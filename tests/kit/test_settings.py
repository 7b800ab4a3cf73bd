import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "KIT_ENV_FILE": "/nonexistent/.env"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def production_env():
    return {"SECRET_KEY": "p" * 20 + "-Zq8#x!" + "k" * 40, "KIT_FIELD_KEY": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "kit.example.org"}


def test_check_deploy_is_clean_under_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_start_up_fails_loudly_without_a_secret_key():
    env = production_env()
    del env["SECRET_KEY"]
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_defaults_keep_simulators_and_demo_data_off():
    code = ("from django.conf import settings as s; "
            "print(s.DEBUG, s.KIT_SIMULATORS, s.KIT_DEMO_DATA, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0)")
    result = manage("shell", "-v", "0", "-c", code, **production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False", "True", "True"]
    urls = manage("shell", "-v", "0", "-c", "from django.urls import resolve, Resolver404\n"
                  "try:\n    resolve('/sim/cyberplat/')\n    print('mounted')\nexcept Resolver404:\n    print('absent')",
                  **production_env())
    assert urls.stdout.strip() == "absent", urls.stderr
