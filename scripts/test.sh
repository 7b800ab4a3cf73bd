#!/usr/bin/env bash
# Run the test suite with test settings (what `make test` does after installing).
# DATABASE_URL / REDIS_URL are used when set (CI), else SQLite in memory.
set -euo pipefail
cd "$(dirname "$0")/.."
export SECRET_KEY="test-only-$(date +%s%N)"
export KIT_FIELD_KEY="${KIT_TEST_FIELD_KEY:-$(.venv/bin/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')}"
export KIT_CATALOGUE_TTL=0 KIT_CONFIG_VERSION_TTL=0 KIT_TERMINAL_AUTH_TTL=0 KIT_SIMULATORS=1 KIT_TLS=0 KIT_SIM_REAL_SLEEP=0 KIT_DEMO_DATA=1 DEBUG=0 KIT_STAFF_2FA=0
export KIT_SIMULATOR_BASE_URL="http://testserver"
# The whole suite runs on two workers (pytest-xdist; each has its own test database and Redis db,
# see tests/xdist_env.py); a run of chosen tests runs in one process unless -n is given.
args=("$@")
if [ ${#args[@]} -eq 0 ]; then args=(-n "${KIT_TEST_WORKERS:-2}"); fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec .venv/bin/pytest -p tests.xdist_env "${args[@]}"
