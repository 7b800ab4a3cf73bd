"""The numbering plan and ported numbers: loading, and the look-up at range edges."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from providers.models import NumberingPlanLoad, NumberRange, PortedNumber
from providers.numbering import PlanRefused, phone_lookup, plan_load, plan_parse

pytestmark = pytest.mark.django_db
SAMPLES = Path(settings.BASE_DIR) / "providers" / "samples"
PLAN = SAMPLES / "SAMPLE-numbering-plan.csv"
PORTED = SAMPLES / "SAMPLE-ported-numbers.csv"


@pytest.fixture
def plan(world):
    call_command("load_numbering_plan", str(PLAN))
    call_command("load_ported_numbers", str(PORTED))


def test_the_first_and_last_number_of_a_range_are_in_it_and_the_next_is_not(plan):
    first, last = phone_lookup("9035000000"), phone_lookup("9035999999")
    assert (first.region, last.region) == ("Тверская обл.", "Тверская обл.")
    assert (first.provider, first.inn, first.source) == ("beeline", "7713076301", "plan")
    assert phone_lookup("9036000000") is None
    assert phone_lookup("9034999999").region == "г. Москва и Московская область"


def test_a_ported_number_wins_over_the_plan(plan):
    moved = phone_lookup("9031234567")  # Beeline's range, ported to MTS
    assert (moved.provider, moved.inn, moved.source) == ("mts", "7740000076", "ported")
    assert moved.operator == 'ПАО "Мобильные ТелеСистемы"'
    assert moved.region == "г. Москва и Московская область"
    assert phone_lookup("9031234568").provider == "beeline"


def test_an_operator_without_a_provider_gives_null(plan):
    found = phone_lookup("9585800000")
    assert (found.operator, found.provider) == ('ООО "Тинькофф Мобайл"', None)


def test_the_three_formats_give_the_same_number(plan):
    assert {phone_lookup(n).number for n in ("+79161234567", "89161234567", "9161234567")} == {"79161234567"}
    with pytest.raises(ValueError):
        phone_lookup("4951234567")


def test_loading_twice_changes_nothing(plan, capsys):
    ids = list(NumberRange.objects.values_list("pk", flat=True))
    call_command("load_numbering_plan", str(PLAN))
    assert "nothing changed" in capsys.readouterr().out
    assert list(NumberRange.objects.values_list("pk", flat=True)) == ids
    assert NumberingPlanLoad.objects.filter(kind="plan").count() == 1


def test_a_windows_1251_file_of_six_columns_is_read(world):
    raw = "АВС/ DEF;От;До;Емкость;Оператор;Регион\r\n916;0000000;0000099;100;ПАО \"МТС\";Москва\r\n".encode("cp1251")
    (r,) = plan_parse("old.csv", raw)
    assert (r.first, r.last, r.operator, r.region, r.inn) == (9160000000, 9160000099, 'ПАО "МТС"', "Москва", "")


@pytest.mark.parametrize("raw, reason", [
    (b"", "empty"),
    (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML"),
    ("Номер;Оператор\n916;МТС\n".encode(), "header"),
])
def test_a_bad_file_is_refused_and_the_last_good_plan_stays(plan, tmp_path, raw, reason):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(raw)
    before = NumberRange.objects.count()
    with pytest.raises(CommandError, match=reason):
        call_command("load_numbering_plan", str(PLAN), str(bad))
    assert NumberRange.objects.count() == before
    assert phone_lookup("9161234567").provider == "mts"


def test_a_broken_line_names_its_file_and_line(world):
    raw = PLAN.read_bytes() + b"916;99x;100;1;X;Y;Z;1\r\n"
    with pytest.raises(PlanRefused, match="plan.csv:8"):
        plan_load([("plan.csv", raw)])


def test_a_new_plan_replaces_the_old_one(plan):
    raw = "АВС/ DEF;От;До;Емкость;Оператор;Регион;Территория ГАР;ИНН\n977;0000000;0000009;10;ООО \"Т2 Мобайл\";Москва;;7743895280\n"
    assert plan_load([("new.csv", b"\xef\xbb\xbf" + raw.encode())]) == (True, 1)
    assert phone_lookup("9161230000") is None or phone_lookup("9161230000").source == "ported"
    assert phone_lookup("9770000009").provider == "tele2"


def test_ported_numbers_are_replaced_and_a_bad_line_refused(plan, tmp_path):
    bad = tmp_path / "ported.csv"
    bad.write_text("9161234567;77400000;2025-01-01\n", encoding="utf-8")
    with pytest.raises(CommandError, match="ported.csv:1"):
        call_command("load_ported_numbers", str(bad))
    assert PortedNumber.objects.count() == 2


def test_the_demo_loader_loads_the_sample_plan(db, settings):
    settings.KIT_DEMO_DATA = True
    call_command("load_demo")
    assert phone_lookup("+79261234567").provider == "megafon"
