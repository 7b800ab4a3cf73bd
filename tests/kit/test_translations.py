"""Russian everywhere: every model name, field name, choice and template string has a Russian translation,
and the pages a Russian-speaking user opens show none of the English originals.

The look-ups go through Django's own translation machinery: the Russian catalogue it builds merges
Django's, every installed app's (`<app>/locale/`) and the project's (`locale/`), so a string kept in
an app's own catalogue counts as translated.
"""

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import trans_real
from django.utils.translation.template import templatize

from kit.nav import nav_for

ROOT = Path(settings.BASE_DIR)
_CALL = re.compile(r"\b(gettext|pgettext|ngettext|npgettext)\(((?:u'(?:[^'\\]|\\.)*'(?:, )?)+)")
_LITERAL = re.compile(r"u'(?:[^'\\]|\\.)*'")


def russian_catalogue():
    return trans_real.translation("ru")._catalog


def _key(kind: str, args: list[str]):
    if kind == "pgettext":
        return f"{args[0]}\x04{args[1]}"
    if kind == "npgettext":
        return (f"{args[0]}\x04{args[1]}", 0)
    if kind == "ngettext":
        return (args[0], 0)
    return args[0]


def _lazy_key(value: Promise):
    """The catalogue key of a gettext_lazy / pgettext_lazy value."""
    args = value._args
    return args[0] if len(args) == 1 else f"{args[0]}\x04{args[1]}"


def project_apps():
    return [a for a in apps.get_app_configs()
            if Path(a.path).is_relative_to(ROOT) and ".venv" not in Path(a.path).parts]


def model_strings():
    """(where, value) for every name a user can see of the project's models: model and field names,
    help texts and choice labels."""
    for app in project_apps():
        for model in app.get_models():
            label = model._meta.label
            for attr in ("verbose_name", "verbose_name_plural"):
                yield f"{label} Meta.{attr}", model._meta.original_attrs.get(attr)
            for field in model._meta.get_fields():
                if field.auto_created or not (field.concrete or field.many_to_many):
                    continue
                yield f"{label}.{field.name} verbose_name", field.verbose_name
                if field.help_text:
                    yield f"{label}.{field.name} help_text", field.help_text
                for value, choice in field.flatchoices or []:
                    yield f"{label}.{field.name} choice {value!r}", choice


def template_files():
    dirs = [ROOT / "templates"] + [Path(a.path) / "templates" for a in project_apps()]
    for d in dirs:
        if d.is_dir():
            yield from sorted(d.rglob("*.html"))


def template_msgids(path: Path):
    code = templatize(path.read_text(), origin=str(path))
    for kind, args in _CALL.findall(code):
        yield kind, [ast.literal_eval(lit[1:]) for lit in _LITERAL.findall(args)]


def test_every_model_field_choice_and_help_text_has_a_russian_translation():
    catalogue = russian_catalogue()
    missing = []
    for where, value in model_strings():
        if not isinstance(value, Promise):
            missing.append(f"{where}: {value!r} is not marked for translation (gettext_lazy)")
        elif _lazy_key(value) not in catalogue:
            missing.append(f"{where}: {value._args[-1]!r} has no Russian translation")
    assert missing == []


def test_every_template_string_has_a_russian_translation():
    catalogue = russian_catalogue()
    missing = [f"{path.relative_to(ROOT)}: {args[-1] if kind != 'ngettext' else args[0]!r}"
               for path in template_files() for kind, args in template_msgids(path)
               if _key(kind, args) not in catalogue]
    assert missing == []


def test_the_checks_above_see_an_app_catalogue_and_would_catch_a_missing_string():
    catalogue = russian_catalogue()
    # gateways/reconcile keeps its strings in its own catalogue; Django merges it into the same one.
    assert "Reconciliation" in catalogue
    assert "A string nobody translated, for this test" not in catalogue
    assert len(list(template_files())) > 20 and len(list(model_strings())) > 300


# --- the pages themselves ----------------------------------------------------------------------------


class _Text(HTMLParser):
    """Visible text and the attributes a reader sees (title, placeholder, aria-label, button values)."""

    SKIP = {"script", "style"}

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        for name, value in attrs:
            if value and (name in ("title", "placeholder", "aria-label", "alt")
                          or (name == "value" and tag == "input" and dict(attrs).get("type") in ("submit", "button"))):
                self.parts.append(value.strip())

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(" ".join(data.split()))


def english_originals() -> set[str]:
    """Catalogue msgids whose Russian translation differs: seeing one on a Russian page means it
    was shown untranslated. Single words under four letters are left out (codes, units)."""
    originals = set()
    for key, value in russian_catalogue().items():
        if isinstance(key, str) and "\x04" not in key and value and value != key and len(key) > 3 \
                and re.search(r"[A-Za-z]", key) and "%" not in key:
            originals.add(key.rstrip(":"))
    return originals


# Each language is named in its own language in the switch ("English" on a Russian page is right).
NATIVE_NAMES = {name for _code, name in settings.LANGUAGES}


def untranslated_on(page_html: str, originals: set[str], data: frozenset[str] = frozenset()) -> list[str]:
    """Texts of the page that are English originals of the catalogue; `data` are the page's own values
    (a username that happens to be a word of the catalogue)."""
    parser = _Text()
    parser.feed(page_html)
    found = []
    for part in parser.parts:
        for piece in re.split(r"\s*[:·|›»/]\s*|\s*\n\s*", part):
            piece = piece.strip().rstrip(":")
            if piece in originals and piece not in NATIVE_NAMES and piece not in data:
                found.append(piece)
    return found


def demo_data() -> frozenset[str]:
    """Names and codes of the demo world's rows: data, not interface text."""
    from django.contrib.auth import get_user_model

    from dealers.models import Dealer
    from gateways.models import Gateway
    from providers.models import Provider

    values = set(get_user_model().objects.values_list("username", flat=True))
    for model in (Gateway, Provider):
        values |= set(model.objects.values_list("code", flat=True)) | set(model.objects.values_list("name", flat=True))
    return frozenset(values | set(Dealer.objects.values_list("name", flat=True)))


def _pages_for(client, user) -> list[str]:
    client.force_login(user)
    pages = ["/"] + [url for _area, links in nav_for(user) for url, _label in links]
    if user.is_superuser:
        index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ru")
        lists = sorted(set(re.findall(r'href="(/admin/[a-z_]+/[a-z_]+/)"', index.content.decode())))
        pages += ["/admin/", *lists]
        for url in lists:  # and the first row's page of each list
            rows = re.findall(rf'href="({re.escape(url)}\d+/change/)[^"]*"', client.get(url).content.decode())
            pages += rows[:1]
    return pages


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["dealer", "subdealer", "support", "senior", "admin"])
def test_no_page_a_persona_reaches_from_its_menu_shows_an_untranslated_string(client, world, username):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    originals = english_originals()
    problems = {}
    for url in _pages_for(client, user):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="ru", follow=True)
        assert page.status_code == 200, url
        if "html" not in page.get("Content-Type", ""):
            continue
        found = untranslated_on(page.content.decode(), originals, demo_data())
        if found:
            problems[url] = found
    assert problems == {}, "\n".join(f"{url}: {found}" for url, found in problems.items())


@pytest.mark.django_db
def test_the_login_and_error_pages_show_no_untranslated_string(client, world):
    originals = english_originals()
    login = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="ru")
    missing = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ru")
    assert missing.status_code == 404
    assert untranslated_on(login.content.decode(), originals) == []
    # The error page repeats its message in English below the Russian one, inside lang="en".
    russian_part = missing.content.decode().split('<div class="second" lang="en">')[0]
    assert untranslated_on(russian_part, originals) == []


def test_an_english_string_on_a_russian_page_is_caught():
    with translation.override("ru"):
        assert untranslated_on("<main><p>Log out</p><a title='Second factor'>x</a></main>",
                               {"Log out", "Second factor"}) == ["Log out", "Second factor"]


@pytest.mark.django_db
def test_every_app_and_model_on_the_admin_index_is_named_in_russian(admin_client, world):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    main = page[page.index('<div id="content-main">'):page.index('<div id="content-related">')]
    parser = _Text()
    parser.feed(main)
    # Every caption and model name there is a name, so each must carry Cyrillic letters.
    latin_only = [part for part in parser.parts if not re.search(r"[А-Яа-яЁё]", part)]
    assert latin_only == []
