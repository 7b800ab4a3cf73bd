"""`make messages` (scripts/messages.py): each string lands in the catalogue of the app that owns it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext)")

PO_HEAD = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'


def _write(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_an_apps_code_and_templates_go_to_its_own_catalogue_and_the_rest_to_the_projects(tmp_path):
    _write(tmp_path / "shop/views.py", 'from django.utils.translation import gettext as _\nA = _("Shop string")\n')
    _write(tmp_path / "templates/shop/page.html", '{% load i18n %}{% translate "Shop template string" %}')
    _write(tmp_path / "shop/locale/ru/LC_MESSAGES/django.po",
           PO_HEAD + 'msgid "Shop string"\nmsgstr "Строка магазина"\n')
    _write(tmp_path / "core/views.py", 'from django.utils.translation import gettext as _\nB = _("Core string")\n')
    _write(tmp_path / "templates/base.html", '{% load i18n %}{% translate "Base string" %}')
    _write(tmp_path / "locale/ru/LC_MESSAGES/django.po", PO_HEAD)

    subprocess.run([sys.executable, str(ROOT / "scripts/messages.py"), "--root", str(tmp_path)],
                   check=True, capture_output=True)

    shop = (tmp_path / "shop/locale/ru/LC_MESSAGES/django.po").read_text()
    project = (tmp_path / "locale/ru/LC_MESSAGES/django.po").read_text()
    assert 'msgid "Shop string"\nmsgstr "Строка магазина"' in shop
    assert 'msgid "Shop template string"' in shop
    assert "Core string" not in shop and "Base string" not in shop
    assert 'msgid "Core string"' in project and 'msgid "Base string"' in project
    assert "Shop" not in project
    assert (tmp_path / "shop/locale/ru/LC_MESSAGES/django.mo").exists()
    assert (tmp_path / "locale/en/LC_MESSAGES/django.po").exists()
