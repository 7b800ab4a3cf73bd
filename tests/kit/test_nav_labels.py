import pytest


@pytest.mark.django_db
def test_the_cabinet_menu_calls_the_account_page_uchetnaya_zapis(client, dealer_user):
    client.force_login(dealer_user)
    text = client.get("/cabinet/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert ">Учётная запись</a>" in text
