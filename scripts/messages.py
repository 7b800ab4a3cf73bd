"""`make messages`: refresh every translation catalogue, each string in the catalogue that owns it.

    .venv/bin/python scripts/messages.py [--root DIR] [--no-compile]

An app with its own catalogue (`<app>/locale/`) owns the strings of its code and of its
templates (`templates/<label>/`, label = the app directory's name): they are extracted into that
catalogue, from a temporary directory of symlinks to just those two places. The project's
catalogue (`locale/`) gets everything else: the run at the root skips those apps and their
template folders, so it never takes (or leaves empty copies of) strings an app translates itself.
Existing translations are kept (makemessages merges); then every catalogue is compiled.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ["ru", "en"]
SKIP = {".venv", "var", "staticfiles", "node_modules", ".git", "tests", "bench", "kiosk"}


def app_catalogues(root: Path) -> list[Path]:
    """App directories that hold a catalogue of their own (`<app>/locale/`), the root excluded."""
    found = []
    for dirpath, dirnames, _files in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if d not in SKIP and not (here == root and d in ("locale", "templates"))]
        if "locale" in dirnames and here != root:
            found.append(here)
            dirnames.remove("locale")
    return sorted(found)


def _django_admin() -> str:
    return str(Path(sys.executable).parent / "django-admin")


def _makemessages(cwd: Path, extra: list[str]) -> None:
    # Without settings makemessages writes to ./locale: the catalogue chosen by the working directory.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    cmd = [_django_admin(), "makemessages", *[f"-l{lang}" for lang in LANGUAGES], "--no-obsolete", *extra]
    subprocess.run(cmd, cwd=cwd, env=env, check=True)


def app_messages(root: Path, app: Path, apps: list[Path]) -> None:
    """Extract the app's code and templates into its own catalogue."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "locale").symlink_to(app / "locale")
        (tmp / "code").symlink_to(app)
        templates = root / "templates" / app.name
        if templates.is_dir():
            (tmp / "templates").symlink_to(templates)
        ignore = ["--ignore=code/locale", "--ignore=code/migrations"]
        # An app nested in this one with a catalogue of its own keeps its strings there.
        ignore += [f"--ignore=code/{other.relative_to(app)}" for other in apps if other != app and other.is_relative_to(app)]
        _makemessages(tmp, ["--symlinks", *ignore])


def root_messages(root: Path, apps: list[Path]) -> None:
    ignore = [f"--ignore={d}" for d in sorted(SKIP)]
    for app in apps:
        ignore += [f"--ignore={app.relative_to(root)}", f"--ignore=templates/{app.name}"]
    _makemessages(root, ignore)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT)
    parser.add_argument("--no-compile", action="store_true")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    apps = app_catalogues(root)
    for app in apps:
        print(f"messages: {app.relative_to(root)}/locale (its code and templates/{app.name}/)")
        app_messages(root, app, apps)
    print("messages: locale/ (everything else)")
    root_messages(root, apps)
    if not args.no_compile:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        subprocess.run([_django_admin(), "compilemessages", *[f"-l{lang}" for lang in LANGUAGES],
                        *[f"--ignore={d}" for d in sorted(SKIP)]], cwd=root, env=env, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
