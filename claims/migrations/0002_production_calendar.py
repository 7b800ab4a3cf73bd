"""The Russian production calendar for 2026 and 2027: holidays and moved days off.

Weekends are Saturday and Sunday by rule; only exceptions are rows. 2026: Labour Code art. 112
and Government decree No. 1466 of 24.09.2025 (Saturday 3 January -> Friday 9 January, Sunday
4 January -> Thursday 31 December). 2027: the holidays of art. 112 and the days off it moves
itself (a holiday on a weekend moves to the next working day); the two January weekend days
follow the draft decree and admins check them against the signed one in the admin.
"""

from datetime import date

from django.db import migrations

H = "holiday"
NEW_YEAR = "Новогодние каникулы"
CHRISTMAS = "Рождество Христово"

DAYS = [
    # 2026
    *[(date(2026, 1, d), H, NEW_YEAR) for d in (1, 2, 3, 4, 5, 6, 8)],
    (date(2026, 1, 7), H, CHRISTMAS),
    (date(2026, 1, 9), H, "Перенос выходного с 3 января (пост. № 1466)"),
    (date(2026, 2, 23), H, "День защитника Отечества"),
    (date(2026, 3, 8), H, "Международный женский день"),
    (date(2026, 3, 9), H, "Перенос с 8 марта (воскресенье), ТК РФ ст. 112"),
    (date(2026, 5, 1), H, "Праздник Весны и Труда"),
    (date(2026, 5, 9), H, "День Победы"),
    (date(2026, 5, 11), H, "Перенос с 9 мая (суббота), ТК РФ ст. 112"),
    (date(2026, 6, 12), H, "День России"),
    (date(2026, 11, 4), H, "День народного единства"),
    (date(2026, 12, 31), H, "Перенос выходного с 4 января (пост. № 1466)"),
    # 2027
    *[(date(2027, 1, d), H, NEW_YEAR) for d in (1, 2, 3, 4, 5, 6, 8)],
    (date(2027, 1, 7), H, CHRISTMAS),
    (date(2027, 2, 23), H, "День защитника Отечества"),
    (date(2027, 3, 8), H, "Международный женский день"),
    (date(2027, 5, 1), H, "Праздник Весны и Труда"),
    (date(2027, 5, 3), H, "Перенос с 1 мая (суббота), ТК РФ ст. 112"),
    (date(2027, 5, 9), H, "День Победы"),
    (date(2027, 5, 10), H, "Перенос с 9 мая (воскресенье), ТК РФ ст. 112"),
    (date(2027, 6, 12), H, "День России"),
    (date(2027, 6, 14), H, "Перенос с 12 июня (суббота), ТК РФ ст. 112"),
    (date(2027, 11, 4), H, "День народного единства"),
    (date(2027, 11, 5), H, "Перенос выходного с 2 января (проект постановления; сверить)"),
    (date(2027, 12, 31), H, "Перенос выходного с 3 января (проект постановления; сверить)"),
]


def seed(apps, schema_editor):
    CalendarDay = apps.get_model("claims", "CalendarDay")
    for day, kind, note in DAYS:
        CalendarDay.objects.get_or_create(day=day, defaults={"kind": kind, "note": note})


def unseed(apps, schema_editor):
    apps.get_model("claims", "CalendarDay").objects.filter(day__in=[d for d, _, _ in DAYS]).delete()


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
