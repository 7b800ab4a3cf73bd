"""python -m kiosk run --config /etc/kit-kiosk/kiosk.toml
python -m kiosk enroll --config FILE --code 1234-5678-9012
python -m kiosk pin-hash                 (reads the PIN from stdin; prints kiosk.service_pin_hash)
python -m kiosk forget-confirmation --config FILE   (after restoring the store from a backup)
python -m kiosk simulate --base http://127.0.0.1:8000 --terminal 1001 --count 50 --code CODE
python -m kiosk devices --validator /dev/ttyUSB0 --printer /dev/ttyUSB1 [--accept-note] [--test-cheque]
python -m kiosk health --config FILE     (the local health check a new release must pass after a switch)
python -m kiosk release build --version V --source DIR --key RELEASE_KEY --out FILE   (build machine only)
python -m kiosk release key-create --out FILE | key-successor --key CURRENT --successor PUB --out CHAIN"""

import argparse
import logging
import os
import sys
from pathlib import Path

from .simulate import CODE_ENV, REPO, simulate


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk", description="KIT kiosk tools")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the kiosk: devices, payment flow, sender, heartbeat, screens")
    run.add_argument("--config", required=True, type=Path)
    enroll = sub.add_parser("enroll", help="register this terminal's key with a one-time code")
    enroll.add_argument("--config", required=True, type=Path)
    enroll.add_argument("--code", default=os.environ.get(CODE_ENV), help=f"the one-time code (or ${CODE_ENV})")
    sub.add_parser("pin-hash", help="hash a service PIN read from stdin for kiosk.service_pin_hash")
    forget = sub.add_parser("forget-confirmation", help="after a restore: take no cash until last_txn is read")
    forget.add_argument("--config", required=True, type=Path)
    sim = sub.add_parser("simulate", help="post a mix of payments as one terminal and watch them finish")
    sim.add_argument("--base", default="http://127.0.0.1:8000", help="platform URL")
    sim.add_argument("--terminal", default="1001", help="terminal number")
    sim.add_argument("--count", type=int, default=50, help="how many payments")
    sim.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for final statuses")
    sim.add_argument("--code", default=None,
                     help=f"one-time enrollment code when the terminal has no key yet (or ${CODE_ENV})")
    sim.add_argument("--repo", type=Path, default=REPO, help="where var/kiosk/<terminal>.key is kept")
    sim.add_argument("--seed", type=int, default=None, help="random seed for a repeatable mix")
    from .devices import tool as devices_tool

    devices = sub.add_parser("devices", help="service tool: validator and printer identification, status, tests")
    devices_tool.add_arguments(devices)
    health_cmd = sub.add_parser("health", help="local health check: store, devices (never the server)")
    health_cmd.add_argument("--config", required=True, type=Path)
    health_cmd.add_argument("--timeout", type=float, default=30.0)
    release = sub.add_parser("release", help="build machine: release keys, build and sign a release")
    from .updates import build as release_tool

    release_tool.add_arguments(release)
    args = parser.parse_args(argv)
    if args.command == "release":
        return release_tool.run(args)
    if args.command == "devices":
        return devices_tool.run(args)
    if args.command == "simulate":
        simulate(base=args.base, terminal=args.terminal, count=max(1, args.count), timeout=args.timeout,
                 repo=args.repo, seed=args.seed, code=args.code)
        return 0
    if args.command == "pin-hash":
        from .config import pin_hash

        pin = sys.stdin.readline().strip()
        if not pin.isdigit() or not 4 <= len(pin) <= 12:
            print("the PIN must be 4 to 12 digits", file=sys.stderr)
            return 2
        print(pin_hash(pin))
        return 0
    from .config import ConfigError, load

    try:
        cfg = load(args.config)
    except ConfigError as exc:
        print(f"config: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command in ("run", "enroll", "forget-confirmation"):
        # Also into the rotating file that `collect_logs` sends (not `health`: it runs beside the kiosk).
        from .logs import log_to_file

        log_to_file(cfg)
    if args.command == "enroll":
        if not args.code:
            print(f"give --code or set {CODE_ENV}", file=sys.stderr)
            return 2
        from .app import enroll as do_enroll

        return do_enroll(cfg, args.code)
    if args.command == "forget-confirmation":
        from .store import Store

        store = Store(cfg.store_path)
        store.forget_confirmation()
        store.close()
        print("the store takes no cash until it has read the server's last_txn again")
        return 0
    if args.command == "health":
        from .app import health

        ok, why = health(cfg, timeout=args.timeout)
        print("healthy" if ok else f"unhealthy: {why}", file=sys.stdout if ok else sys.stderr)
        return 0 if ok else 1
    from .app import run as do_run

    return do_run(cfg)


if __name__ == "__main__":
    raise SystemExit(main())
