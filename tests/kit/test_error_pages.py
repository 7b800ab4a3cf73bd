"""The project's own error pages, in Russian with English second and a way back; JSON under the terminal API."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.utils import translation

from kit import errors


@pytest.mark.django_db
def test_a_missing_page_is_the_projects_russian_404_with_english_second_and_a_way_back(client):
    page = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ru")
    text = page.content.decode()
    assert page.status_code == 404
    assert "<title>404 · KIT</title>" in text
    assert "Страница не найдена" in text and "На главную страницу" in text
    assert '<div class="second" lang="en">' in text and "Page not found" in text
    assert text.index("Страница не найдена") < text.index("Page not found")
    assert 'href="/"' in text and 'href="/accounts/login/"' in text
    assert "Not Found" not in text


@pytest.mark.django_db
def test_an_english_reader_gets_english_first_and_russian_second(client):
    text = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert text.index("Page not found") < text.index("Страница не найдена")


@pytest.mark.django_db
def test_a_signed_in_user_sees_the_menu_on_a_404(client, world):
    client.login(username="admin", password="kit-demo")
    text = client.get("/cabinet/no-such-page/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Страница не найдена" in text and 'href="/admin/"' in text and "Выйти" in text


@pytest.mark.django_db
def test_a_forbidden_action_is_the_russian_403(client, world):
    request = RequestFactory().get("/reconcile/")
    request.user = _anonymous()
    with translation.override("ru"):
        response = errors.permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "Доступ запрещён" in response.content.decode() and "Access denied" in response.content.decode()


def test_a_server_error_is_the_russian_500_without_any_context():
    request = RequestFactory().get("/cabinet/")
    with translation.override("ru"):
        response = errors.server_error(request)
    text = response.content.decode()
    assert response.status_code == 500
    assert "<title>500 · KIT</title>" in text and "Что-то пошло не так на нашей стороне" in text
    assert "Something went wrong on our side" in text and 'href="/"' in text


def test_a_server_error_under_the_terminal_api_is_its_json_error():
    response = errors.server_error(RequestFactory().post("/api/terminal/v1/payments"))
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert json.loads(response.content)["error"]["code"] == "internal"


def test_a_404_under_the_terminal_api_is_its_json_error():
    response = errors.page_not_found(RequestFactory().get("/api/terminal/v1/nothing"), Http404())
    assert response.status_code == 404 and json.loads(response.content)["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_an_unknown_api_path_still_answers_json(client):
    response = client.get("/api/terminal/v1/no/such/thing")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_form_posted_without_its_csrf_token_gets_the_russian_page():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x", "password": "y"},
                                                     HTTP_ACCEPT_LANGUAGE="ru")
    text = response.content.decode()
    assert response.status_code == 403
    assert "Форма устарела" in text and "The form has expired" in text


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()
