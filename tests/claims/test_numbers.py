"""Claim numbers are gap-free and unique per year, under concurrency and across a rollback."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from claims.models import Claim, ClaimCounter
from claims.services import Cheque, claim_register

from .conftest import msk


def _register(user, n=0):
    return claim_register(user=user, customer_name=f"Заявитель {n}", customer_phone="+79161234567", ask="refund",
                          text="Верните деньги.", received_at=msk(2026, 3, 13, 10, 0), cheque=Cheque(txn=str(n)))


@pytest.mark.django_db
def test_a_registration_that_rolls_back_gives_its_number_back_and_leaves_no_file(monkeypatch, settings):
    import claims.services

    user = get_user_model().objects.create_user("operator")
    real = claims.services.Step.objects.create

    def broken(**kwargs):
        raise RuntimeError("the database went away mid-registration")

    monkeypatch.setattr(claims.services.Step.objects, "create", broken)
    with pytest.raises(RuntimeError):
        claim_register(user=user, customer_name="Заявитель", customer_phone="+79161234567", ask="refund",
                       text="Верните деньги.", received_at=msk(2026, 3, 13, 10, 0), cheque=Cheque(),
                       scan=SimpleUploadedFile("c.png", b"\x89PNG\r\n\x1a\n"), scan_type="image/png")
    assert not any(files for _, _, files in os.walk(settings.KIT_PRIVATE_ROOT)), "the scan is removed too"
    monkeypatch.setattr(claims.services.Step.objects, "create", real)
    assert _register(user).number == "CL-2026-000001"
    assert _register(user).number == "CL-2026-000002"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_registrations_at_once_get_fifty_consecutive_numbers():
    user = get_user_model().objects.create_user("operator")
    start = threading.Barrier(50)

    def one(n):
        try:
            start.wait(timeout=30)
            return _register(user, n).number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        numbers = list(pool.map(one, range(50)))
    assert sorted(numbers) == [f"CL-2026-{n:06d}" for n in range(1, 51)]
    assert Claim.objects.count() == 50
    assert ClaimCounter.objects.get(year=2026).last == 50
