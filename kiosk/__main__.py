"""python -m kiosk simulate --base http://127.0.0.1:8000 --terminal 1001 --count 50
python -m kiosk devices --validator /dev/ttyUSB0 --printer /dev/ttyUSB1 [--accept-note] [--test-cheque]"""

import argparse
from pathlib import Path

from .simulate import REPO, simulate


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk", description="KIT kiosk tools")
    sub = parser.add_subparsers(dest="command", required=True)
    sim = sub.add_parser("simulate", help="post a mix of payments as one terminal and watch them finish")
    sim.add_argument("--base", default="http://127.0.0.1:8000", help="platform URL")
    sim.add_argument("--terminal", default="1001", help="terminal number")
    sim.add_argument("--count", type=int, default=50, help="how many payments")
    sim.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for final statuses")
    sim.add_argument("--repo", type=Path, default=REPO, help="checkout with .venv and manage.py (for the code)")
    sim.add_argument("--seed", type=int, default=None, help="random seed for a repeatable mix")
    from .devices import tool as devices_tool

    devices = sub.add_parser("devices", help="service tool: validator and printer identification, status, tests")
    devices_tool.add_arguments(devices)
    args = parser.parse_args(argv)
    if args.command == "devices":
        return devices_tool.run(args)
    if args.command == "simulate":
        simulate(base=args.base, terminal=args.terminal, count=max(1, args.count), timeout=args.timeout,
                 repo=args.repo, seed=args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
