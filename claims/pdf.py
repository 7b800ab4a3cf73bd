"""The printed claim (two copies: the customer's, marked received, and the company's) and the answer."""

from django.conf import settings
from django.utils import translation

from kit.money import fmt
from kit.pdf import new_document, render

from . import deadline
from .models import Claim

DT = "%d.%m.%Y %H:%M"


def _local(value):
    return value.astimezone(deadline.company_tz()).strftime(DT) if value else "—"


def _amount(value) -> str:
    return f"{fmt(value).replace('.', ',')} ₽" if value is not None else "—"


def _line(pdf, label: str, value: str) -> None:
    pdf.set_font("dejavu", "B", 9)
    pdf.cell(50, 5.5, label)
    pdf.set_font("dejavu", "", 9)
    pdf.multi_cell(0, 5.5, value or "—", align="L", new_x="LMARGIN", new_y="NEXT")


def _heading(pdf, text: str, size: int = 11) -> None:
    pdf.ln(2)
    pdf.set_font("dejavu", "B", size)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 9)


def _payment_lines(pdf, claim: Claim) -> None:
    p = claim.payment
    _heading(pdf, "Платёж по чеку")
    _line(pdf, "Терминал", p.terminal.number if p else claim.cheque_terminal)
    _line(pdf, "Номер операции", p.txn if p else claim.cheque_txn)
    _line(pdf, "Дата и время", _local(p.paid_at if p else claim.cheque_paid_at))
    _line(pdf, "Сумма", _amount(p.amount if p else claim.cheque_amount))
    _line(pdf, "Счёт / номер", p.account if p else claim.cheque_account)
    _line(pdf, "Поставщик", (p.provider.name if p.provider else p.provider_code) if p else claim.cheque_provider)
    if p is None:
        _line(pdf, "Платёж в системе", "не найден по данным чека; проверка продолжается")


def _parties(pdf, claim: Claim) -> None:
    _heading(pdf, "Стороны")
    dealer = claim.payment.dealer if claim.payment else claim.dealer
    if dealer is not None:
        details = ", ".join(x for x in (dealer.name, f"ИНН {dealer.inn}" if dealer.inn else "",
                                        f"тел. {dealer.support_phone}" if dealer.support_phone else "") if x)
        _line(pdf, "Платёжный агент", details)
    _line(pdf, "Оператор", settings.KIT_COMPANY_DETAILS)


def _copy(pdf, claim: Claim, title: str, customer_copy: bool) -> None:
    pdf.add_page()
    pdf.set_font("dejavu", "B", 14)
    pdf.cell(0, 8, f"Претензия № {claim.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "B", 11)
    pdf.cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 9)
    _line(pdf, "Принята", _local(claim.received_at))
    _line(pdf, "Срок ответа — до", _local(claim.due_at))
    _heading(pdf, "Заявитель")
    _line(pdf, "ФИО", claim.customer_name)
    _line(pdf, "Телефон", claim.customer_phone)
    _line(pdf, "E-mail", claim.customer_email)
    _payment_lines(pdf, claim)
    _heading(pdf, "Требование")
    _line(pdf, "Заявитель просит", "зачислить платёж на счёт" if claim.ask == Claim.Ask.CREDIT else "вернуть деньги")
    pdf.multi_cell(0, 5.5, claim.text, align="L", new_x="LMARGIN", new_y="NEXT")
    _parties(pdf, claim)
    pdf.ln(4)
    if customer_copy:
        pdf.set_draw_color(200, 30, 30)
        pdf.set_text_color(200, 30, 30)
        pdf.set_font("dejavu", "B", 10)
        registered = claim.registered_by.get_full_name() or claim.registered_by.get_username()
        pdf.multi_cell(90, 6, f"ПРИНЯТО\n№ {claim.number}\n{_local(claim.received_at)}\n"
                              f"Принял: {registered}\nОтвет — до {_local(claim.due_at)}",
                       border=1, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(4)
    pdf.set_font("dejavu", "", 9)
    pdf.multi_cell(0, 5.5, "Персональные данные обрабатываются для исполнения договора с заявителем "
                           f"(152-ФЗ, ст. 6, ч. 1, п. 5); уведомление об обработке, ред. {claim.privacy_notice}.",
                   align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.cell(90, 6, "Заявитель: ____________ / ____________")
    pdf.cell(0, 6, "Принял: ____________ / ____________", new_x="LMARGIN", new_y="NEXT")


def claim_pdf(claim: Claim) -> bytes:
    """Two pages: «Экземпляр заявителя» (marked received) and «Экземпляр компании»."""
    with translation.override("ru"):
        pdf = new_document()
        pdf.set_title(f"Претензия {claim.number}")
        _copy(pdf, claim, "Экземпляр заявителя", customer_copy=True)
        _copy(pdf, claim, "Экземпляр компании", customer_copy=False)
        return render(pdf)


def answer_pdf(claim: Claim) -> bytes:
    """The answer letter to the customer, one page."""
    pdf = new_document()
    pdf.set_title(f"Ответ на претензию {claim.number}")
    pdf.add_page()
    pdf.set_font("dejavu", "", 9)
    pdf.multi_cell(0, 5.5, settings.KIT_COMPANY_DETAILS, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    _line(pdf, "Кому", f"{claim.customer_name}, {claim.customer_phone}")
    _line(pdf, "Дата ответа", _local(claim.answered_at))
    pdf.set_font("dejavu", "B", 14)
    pdf.cell(0, 10, f"Ответ на претензию № {claim.number} от {_local(claim.received_at)}",
             new_x="LMARGIN", new_y="NEXT")
    _payment_lines(pdf, claim)
    _heading(pdf, "Ответ")
    pdf.multi_cell(0, 5.5, claim.answer, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    answered = claim.answered_by.get_full_name() or claim.answered_by.get_username() if claim.answered_by else ""
    pdf.cell(0, 6, f"Ответственный сотрудник: ____________ / {answered}", new_x="LMARGIN", new_y="NEXT")
    return render(pdf)
