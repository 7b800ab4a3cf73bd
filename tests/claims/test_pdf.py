"""The printed claim: two pages, each with the number, the deadline and the customer's name in Cyrillic."""

import io

import pytest
from pypdf import PdfReader

from claims.services import claim_transition

from .conftest import msk

pytestmark = pytest.mark.django_db


def _pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_the_claim_prints_as_two_copies_with_number_deadline_and_name(client, register, make_payment, support_user):
    claim = register(make_payment("1001", "250.00"), received_at=msk(2026, 3, 13, 10, 5),
                     name="Сидорова Анна Викторовна")
    client.force_login(support_user)
    resp = client.get(f"/support/claims/{claim.number}/print.pdf")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/pdf"
    assert resp["Content-Disposition"] == f'attachment; filename="{claim.number}.pdf"'
    pages = _pages(resp.content)
    assert len(pages) == 2
    for text in pages:
        assert claim.number in text
        assert "23.03.2026 23:59" in text
        assert "Сидорова Анна Викторовна" in text
        assert "250,00 ₽" in text
    assert "Экземпляр заявителя" in pages[0] and "ПРИНЯТО" in pages[0]
    assert "Экземпляр компании" in pages[1] and "ПРИНЯТО" not in pages[1]


def test_the_answer_prints_once_the_claim_is_answered(client, register, support_user):
    claim = register(None, received_at=msk(2026, 3, 13, 10, 5), name="Сидорова Анна Викторовна")
    client.force_login(support_user)
    assert client.get(f"/support/claims/{claim.number}/answer.pdf").status_code == 404
    claim_transition(claim=claim, to="rejected", user=support_user, comment="нет платежа",
                     answer="Платёж по указанному чеку не поступал.")
    resp = client.get(f"/support/claims/{claim.number}/answer.pdf")
    assert resp.status_code == 200
    (text,) = _pages(resp.content)
    assert "Платёж по указанному чеку не поступал." in text
    assert "Сидорова Анна Викторовна" in text and claim.number in text


def test_a_dealer_cannot_print_a_claim(client, register, dealer_user):
    claim = register(None)
    client.force_login(dealer_user)
    assert client.get(f"/support/claims/{claim.number}/print.pdf").status_code == 403
