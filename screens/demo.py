"""Demo data: a theme on every demo terminal and one scheduled text ad."""

from datetime import date, time

from .models import Ad, Theme, ThemeAssignment


def screens_demo_load(*, dealer, terminals) -> None:
    """Idempotent: the demo dealer's theme and ad, assigned to `terminals` (its subtree's)."""
    theme, _ = Theme.objects.get_or_create(dealer=dealer, name="Демо: синяя", defaults={
        "layout": Theme.Layout.TILES, "background": "#f4f7fb", "text": "#14213d", "accent": "#1d4ed8",
        "button_text": "#ffffff"})
    for terminal in terminals:
        ThemeAssignment.objects.get_or_create(terminal=terminal, defaults={"theme": theme})
    Ad.objects.get_or_create(dealer=dealer, name="Без комиссии", defaults={
        "kind": Ad.Kind.TEXT, "text": "Оплата ЖКХ без комиссии с 8 до 22", "position": Ad.Position.BOTTOM,
        "date_from": date(2026, 1, 1), "date_to": date(2030, 12, 31), "weekdays": "1234567",
        "time_from": time(8, 0), "time_to": time(22, 0), "all_terminals": True})
