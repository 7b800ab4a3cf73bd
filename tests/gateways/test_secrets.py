import pytest
from django.db import connection

from gateways.models import Gateway


@pytest.mark.django_db
def test_gateway_keys_are_encrypted_at_rest():
    gw = Gateway.objects.create(code="cyberplat", name="CyberPlat", protocol="cyberplat",
                                base_url="http://127.0.0.1:8000/sim/osmp/", secret="pa55-word-XYZ",
                                private_key="-----BEGIN PRIVATE KEY-----\nSECRETMATERIAL\n-----END PRIVATE KEY-----\n")
    with connection.cursor() as cur:
        cur.execute("SELECT secret, private_key FROM gateways_gateway WHERE id = %s", [gw.pk])
        raw_secret, raw_key = cur.fetchone()
    assert "pa55-word-XYZ" not in raw_secret and "SECRETMATERIAL" not in raw_key
    assert raw_key.startswith("fernet:")
    again = Gateway.objects.get(pk=gw.pk)
    assert again.secret == "pa55-word-XYZ"
    assert "SECRETMATERIAL" in again.private_key


@pytest.mark.django_db
def test_admin_never_shows_a_stored_key_and_blank_keeps_it(admin_client):
    gw = Gateway.objects.create(code="osmp-test", name="OSMP", protocol="osmp", base_url="http://127.0.0.1:8000/sim/osmp/",
                                secret="top-secret-1", private_key="PEM-SECRET-MATERIAL")
    page = admin_client.get(f"/admin/gateways/gateway/{gw.pk}/change/")
    assert page.status_code == 200
    assert b"top-secret-1" not in page.content and b"PEM-SECRET-MATERIAL" not in page.content
    resp = admin_client.post(f"/admin/gateways/gateway/{gw.pk}/change/", {
        "code": "osmp-test", "name": "OSMP renamed", "protocol": "osmp", "base_url": "http://127.0.0.1:8000/sim/osmp/", "params": "{}",
        "secret": "", "private_key": "", "peer_public_key": "", "connect_timeout": "3", "read_timeout": "5",
        "is_active": "on", "routes-TOTAL_FORMS": "0", "routes-INITIAL_FORMS": "0"})
    assert resp.status_code == 302, resp.content[:2000]
    gw.refresh_from_db()
    assert gw.name == "OSMP renamed" and gw.secret == "top-secret-1" and gw.private_key == "PEM-SECRET-MATERIAL"
