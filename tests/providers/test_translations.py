"""Every model, field and choice of the catalogue has a Russian name (the app's own catalogue)."""

import pytest
from django.apps import apps
from django.utils import translation

from providers.models import BlacklistedAccount

MODELS = list(apps.get_app_config("providers").get_models())
# Field names that read the same in both languages, or are technical and not shown.
SAME = {"id", "dealer", "provider", "category", "entry", "created_at", "updated_at", "providers"}


def names(model):
    yield model._meta.verbose_name
    yield model._meta.verbose_name_plural
    for f in model._meta.get_fields():
        if getattr(f, "concrete", False) and not f.auto_created and f.name not in SAME:
            yield f.verbose_name


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_every_model_and_field_name_is_translated_to_russian(model):
    untranslated = []
    for name in names(model):
        with translation.override("en"):
            english = str(name)
        with translation.override("ru"):
            russian = str(name)
        if russian == english:
            untranslated.append(english)
    assert untranslated == []


def test_the_blacklist_kinds_read_in_russian():
    with translation.override("ru"):
        assert [str(label) for _, label in BlacklistedAccount.Kind.choices] == [
            "точный счёт", "номер телефона", "префикс", "шаблон (регулярное выражение)"]
