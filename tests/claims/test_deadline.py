"""The answer deadline: 10 calendar days from the day after receipt, moved off non-working days."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from claims.deadline import due_at, due_date
from claims.models import CalendarDay

from .conftest import msk

pytestmark = pytest.mark.django_db


def test_a_claim_received_on_a_friday_is_due_ten_days_later_when_that_is_a_working_day():
    # Friday 13 March 2026 -> Monday 23 March 2026
    assert due_date(date(2026, 3, 13)) == date(2026, 3, 23)


def test_a_claim_due_on_a_holiday_is_due_the_next_working_day():
    # Friday 13 February 2026 -> Monday 23 February is Defender of the Fatherland Day -> Tuesday 24th
    assert due_date(date(2026, 2, 13)) == date(2026, 2, 24)


def test_a_claim_received_the_day_before_a_holiday_skips_the_moved_day_off():
    # Thursday 30 April 2026 (the day before 1 May) -> Sunday 10 May; Monday 11 May is the day off
    # moved from Saturday 9 May -> Tuesday 12 May
    assert due_date(date(2026, 4, 30)) == date(2026, 5, 12)


def test_a_claim_across_new_year_waits_for_the_end_of_the_january_holidays():
    # Friday 25 December 2026 -> Monday 4 January 2027, a holiday; 1-8 January off, 9-10 a weekend
    assert due_date(date(2026, 12, 25)) == date(2027, 1, 11)


def test_a_claim_due_on_the_moved_day_off_of_31_december_2026_moves_into_january():
    # Monday 21 December 2026 -> Thursday 31 December 2026, a day off moved from 4 January
    assert due_date(date(2026, 12, 21)) == date(2027, 1, 11)


def test_a_saturday_made_a_working_day_can_be_the_deadline():
    # Wednesday 10 February 2027 -> Saturday 20 February 2027, which an admin marks as worked
    assert due_date(date(2027, 2, 10)) == date(2027, 2, 22)
    CalendarDay.objects.create(day=date(2027, 2, 20), kind=CalendarDay.Kind.WORKDAY, note="рабочая суббота")
    assert due_date(date(2027, 2, 10)) == date(2027, 2, 20)


def test_the_deadline_ends_at_the_end_of_its_last_day_in_the_company_time_zone():
    assert due_at(msk(2026, 3, 13, 10, 0)) == datetime(2026, 3, 23, 23, 59, 59, 999999, tzinfo=ZoneInfo("Europe/Moscow"))


def test_receipt_is_dated_in_the_company_time_zone_not_utc():
    # 22:30 UTC on Thursday 12 March 2026 is already Friday 13 March in Moscow
    received = datetime(2026, 3, 12, 22, 30, tzinfo=ZoneInfo("UTC"))
    assert due_at(received).date() == date(2026, 3, 23)


def test_the_seeded_calendar_holds_both_years():
    assert CalendarDay.objects.filter(day=date(2026, 1, 9), kind="holiday").exists()
    assert CalendarDay.objects.filter(day=date(2027, 6, 14), kind="holiday").exists()
