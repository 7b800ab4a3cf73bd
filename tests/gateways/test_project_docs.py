"""The project's documents stand on their own: what the code relies on is in docs/, and
every reference a reader can follow resolves inside the repository."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".git", ".venv", "node_modules", "var", "__pycache__", ".pytest_cache", ".ruff_cache",
             ".hypothesis", "staticfiles", "build"}
TEXT_SUFFIXES = {".py", ".md", ".txt", ".toml", ".cfg", ".ini", ".yml", ".yaml", ".html", ".po", ".css", ".js",
                 ".json", ".sh", ".conf", ".env", ""}
# Spelt in parts so that this file does not name them itself.
PRIVATE_NOTES = re.compile(r"\.\./" + "shared" + r"|\b" + "shared" + r"/|\b(" + "|".join(
    ["DESIGN", "STYLE", "PROTOCOLS", "HARDWARE"]) + r")\.md\b")


def _project_files():
    for path in ROOT.rglob("*"):
        rel = path.relative_to(ROOT)
        if set(rel.parts) & SKIP_DIRS or not path.is_file():
            continue
        if path.suffix in TEXT_SUFFIXES or path.name in {"Makefile", "Dockerfile"}:
            yield rel, path


def test_no_project_file_points_to_notes_outside_the_repository():
    offenders = []
    for rel, path in _project_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{rel}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
                      for m in PRIVATE_NOTES.finditer(text)]
    assert offenders == []


def test_every_document_the_readme_and_docs_point_to_exists():
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    missing = []
    for doc in documents:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" not in target and not target.startswith("mailto:") and not (doc.parent / target).exists():
                missing.append(f"{doc.relative_to(ROOT)} -> {target}")
        for target in re.findall(r"(?<![\w/.])(docs/[\w./-]*[\w/])", text):
            if not (ROOT / target).exists():
                missing.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert missing == []
