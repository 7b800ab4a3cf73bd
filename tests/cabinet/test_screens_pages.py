"""Themes and ads in the cabinet: uploads checked by content and size, colours and schedules validated,
themes assigned to chosen terminals or all of them (audited), global themes picked but not edited."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from screens.models import Ad, ScreenImage, Theme, ThemeAssignment
from terminals.models import TerminalAudit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def png(size=(8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


THEME = {"name": "Фирменная", "layout": "list", "background": "#ffffff", "text": "#000000", "accent": "#ff6600",
         "button_text": "#ffffff"}
AD = {"name": "Акция", "kind": "text", "text": "Без комиссии", "position": "top", "date_from": "2026-12-01",
      "date_to": "2026-12-31", "days": ["1", "2", "3"], "time_from": "09:00", "time_to": "18:00",
      "is_active": "on"}


def test_a_dealer_creates_a_theme_with_a_logo(dealer_client, demo):
    data = png()
    response = dealer_client.post(reverse("cabinet:themes"),
                                  {**THEME, "logo_file": SimpleUploadedFile("logo.png", data, "image/png")})
    assert response.status_code == 302
    theme = Theme.objects.get(name="Фирменная")
    assert (theme.dealer, theme.layout, theme.accent) == (demo, "list", "#ff6600")
    assert theme.logo.sha256 == hashlib.sha256(data).hexdigest()
    assert bytes(theme.logo.data) == data
    assert (theme.logo.content_type, theme.logo.width, theme.logo.height) == ("image/png", 8, 8)


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(dealer_client):
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)></svg>", "image/png")
    response = dealer_client.post(reverse("cabinet:themes"), {**THEME, "logo_file": fake})
    assert response.status_code == 400
    assert "Файл не является изображением PNG, JPEG, GIF или WebP." in response.content.decode()
    assert not Theme.objects.filter(name="Фирменная").exists()
    assert ScreenImage.objects.count() == 0


def test_an_oversized_image_is_refused(dealer_client, settings):
    settings.KIT_SCREEN_IMAGE_MAX_BYTES = 2048
    big = io.BytesIO()
    Image.frombytes("RGB", (64, 64), bytes(range(256)) * 48).save(big, "BMP")
    response = dealer_client.post(reverse("cabinet:themes"),
                                  {**THEME, "logo_file": SimpleUploadedFile("big.bmp", big.getvalue())})
    assert response.status_code == 400
    assert "Изображение больше 2 КБ." in response.content.decode()


def test_an_image_too_large_in_pixels_is_refused(dealer_client, settings):
    settings.KIT_SCREEN_IMAGE_MAX_SIDE = 4
    response = dealer_client.post(reverse("cabinet:themes"),
                                  {**THEME, "logo_file": SimpleUploadedFile("l.png", png((5, 4)))})
    assert response.status_code == 400
    assert "Изображение больше 4 пикселей по стороне." in response.content.decode()


def test_a_colour_that_is_not_a_colour_is_a_form_error(dealer_client):
    response = dealer_client.post(reverse("cabinet:themes"), {**THEME, "accent": "orange"})
    assert response.status_code == 400
    assert "Цвет — это # и шесть шестнадцатеричных цифр" in response.content.decode()
    assert not Theme.objects.filter(name="Фирменная").exists()


def test_a_theme_is_assigned_to_chosen_terminals_and_audited(dealer_client, terminals, dealer_user):
    theme = Theme.objects.create(dealer=terminals["1001"].dealer, name="Моя")
    response = dealer_client.post(reverse("cabinet:theme_assign"),
                                  {"theme": theme.pk, "terminals": [terminals["1002"].pk]})
    assert response.status_code == 302
    assert ThemeAssignment.objects.get(terminal=terminals["1002"]).theme == theme
    assert ThemeAssignment.objects.get(terminal=terminals["1001"]).theme.name == "Демо: синяя"
    audit = TerminalAudit.objects.get(terminal=terminals["1002"], action="theme")
    assert (audit.user, audit.detail) == (dealer_user, {"theme": theme.pk, "name": "Моя"})


def test_a_theme_is_assigned_to_all_the_dealers_terminals_and_twice_changes_nothing(dealer_client, terminals):
    theme = Theme.objects.create(dealer=terminals["1001"].dealer, name="Моя")
    for _ in range(2):
        dealer_client.post(reverse("cabinet:theme_assign"), {"theme": theme.pk, "all_terminals": "on"})
    assert sorted(ThemeAssignment.objects.filter(theme=theme).values_list("terminal__number", flat=True)) == [
        "1001", "1002", "1003", "2001"]
    assert TerminalAudit.objects.filter(action="theme").count() == 4


def test_a_global_theme_may_be_picked_but_not_edited(dealer_client, terminals):
    glob = Theme.objects.create(dealer=None, name="Общая")
    assert dealer_client.post(reverse("cabinet:theme_assign"),
                              {"theme": glob.pk, "terminals": [terminals["1003"].pk]}).status_code == 302
    assert ThemeAssignment.objects.get(terminal=terminals["1003"]).theme == glob
    assert dealer_client.get(reverse("cabinet:theme", args=[glob.pk])).status_code == 404


def test_a_foreign_theme_or_terminal_cannot_be_assigned(dealer_client, foreign, terminals):
    mine = Theme.objects.create(dealer=terminals["1001"].dealer, name="Моя")
    theirs = Theme.objects.create(dealer=foreign, name="Чужая")
    r1 = dealer_client.post(reverse("cabinet:theme_assign"), {"theme": theirs.pk, "all_terminals": "on"})
    r2 = dealer_client.post(reverse("cabinet:theme_assign"), {"theme": mine.pk, "terminals": [terminals["9001"].pk]})
    assert (r1.status_code, r2.status_code) == (400, 400)
    assert not ThemeAssignment.objects.filter(theme__in=[mine, theirs]).exists()


def test_assigning_without_terminals_is_a_form_error(dealer_client, terminals):
    theme = Theme.objects.create(dealer=terminals["1001"].dealer, name="Моя")
    response = dealer_client.post(reverse("cabinet:theme_assign"), {"theme": theme.pk})
    assert response.status_code == 400
    assert "Выберите терминалы или все ваши терминалы." in response.content.decode()


def test_a_dealer_creates_a_scheduled_text_ad_for_one_terminal(dealer_client, terminals, demo):
    response = dealer_client.post(reverse("cabinet:ads"), {**AD, "terminals": [terminals["1001"].pk]})
    assert response.status_code == 302
    ad = Ad.objects.get(name="Акция")
    assert (ad.dealer, ad.weekdays, str(ad.time_from), str(ad.time_to), ad.position) == (
        demo, "123", "09:00:00", "18:00:00", "top")
    assert list(ad.terminals.values_list("number", flat=True)) == ["1001"]


def test_an_image_ad_stores_its_checked_image(dealer_client, terminals):
    data = png()
    response = dealer_client.post(reverse("cabinet:ads"), {**AD, "kind": "image", "text": "",
                                                           "image_file": SimpleUploadedFile("a.png", data)})
    assert response.status_code == 302
    assert Ad.objects.get(name="Акция").image.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("change, message", [
    ({"date_to": "2026-11-30"}, "Расписание заканчивается раньше, чем начинается."),
    ({"time_to": "08:00"}, "Часы показа заканчиваются раньше, чем начинаются."),
    ({"text": ""}, "Для текстового объявления нужен текст."),
    ({"kind": "image"}, "Для объявления-картинки нужно изображение."),
    ({"days": []}, "Обязательное поле."),
])
def test_a_bad_ad_is_a_form_error(dealer_client, change, message):
    response = dealer_client.post(reverse("cabinet:ads"), {**AD, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Ad.objects.filter(name="Акция").exists()


def test_a_dealer_edits_its_ad(dealer_client, demo):
    ad = Ad.objects.get(name="Без комиссии")
    response = dealer_client.post(reverse("cabinet:ad", args=[ad.pk]), {**AD, "name": "Новая"})
    assert response.status_code == 302
    ad.refresh_from_db()
    assert (ad.name, ad.weekdays, ad.dealer) == ("Новая", "123", demo)


def test_the_pages_render(dealer_client):
    for name in ("themes", "ads", "alerts"):
        assert dealer_client.get(reverse(f"cabinet:{name}")).status_code == 200
