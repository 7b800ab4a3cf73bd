import pytest


@pytest.mark.django_db
def test_pages_speak_russian_first(client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert "Вход" in page.content.decode() and "Имя пользователя" in page.content.decode()


@pytest.mark.django_db
def test_english_is_the_second_language(client):
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Log in" in page.content.decode() and "Username" in page.content.decode()


@pytest.mark.django_db
def test_model_names_are_translated_in_the_admin(admin_client):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ru")
    text = page.content.decode()
    assert "Платежи" in text and "Дилеры" in text and "Шлюзы" in text
