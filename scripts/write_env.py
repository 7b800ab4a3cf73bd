"""First `make run`: write a git-ignored .env with development values (never overwrites)."""

import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

path = Path(sys.argv[1] if len(sys.argv) > 1 else ".env")
if path.exists():
    sys.exit(0)
path.write_text(
    "# Written by `make run` for this checkout only (git-ignored). Development values.\n"
    f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
    f"KIT_FIELD_KEY={Fernet.generate_key().decode()}\n"
    "DEBUG=0\n"
    "KIT_TLS=0\n"
    "KIT_SIMULATORS=1\n"
    "KIT_DEMO_DATA=1\n"
    "# The demo users log in with just the password; production requires TOTP for staff.\n"
    "KIT_STAFF_2FA=0\n"
    "# KIT_SIMULATOR_BASE_URL is not kept here: `make run` sets it from HOST and PORT.\n"
    "# Empty: SQLite under var/ and the filesystem broker. Set to use PostgreSQL / Redis.\n"
    "# DATABASE_URL=postgres://postgres@127.0.0.1:5432/kit\n"
    "# REDIS_URL=redis://127.0.0.1:6379/0\n"
)
print(f"wrote {path}")
