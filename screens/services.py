"""Theme and ad operations. Assignment to terminals is audited on each terminal."""

from django.db import transaction

from terminals.models import Terminal, TerminalAudit

from .models import Ad, ScreenImage, Theme, ThemeAssignment


def screen_image_store(*, image: dict) -> ScreenImage:
    """Store checked image bytes (screens.images.image_check) once per SHA-256."""
    row, _ = ScreenImage.objects.get_or_create(sha256=image["sha256"], defaults={
        "content_type": image["content_type"], "data": image["data"], "size": len(image["data"]),
        "width": image["width"], "height": image["height"]})
    return row


def theme_save(*, theme: Theme, logo: dict | None = None, remove_logo: bool = False) -> Theme:
    """Create or update `theme` (its fields already set by the form), with a new logo when given."""
    with transaction.atomic():
        if logo is not None:
            theme.logo = screen_image_store(image=logo)
        elif remove_logo:
            theme.logo = None
        theme.save()
    return theme


def theme_assign(*, theme: Theme | None, terminals, by=None) -> int:
    """Show `theme` on `terminals` (None: back to the kiosk's default look); returns terminals changed."""
    user = by if getattr(by, "is_authenticated", False) else None
    changed = 0
    with transaction.atomic():
        for terminal in Terminal.objects.filter(pk__in=[t.pk for t in terminals]).order_by("pk"):
            current = ThemeAssignment.objects.filter(terminal=terminal).values_list("theme_id", flat=True).first()
            new = theme.pk if theme else None
            if current == new:
                continue
            if theme is None:
                ThemeAssignment.objects.filter(terminal=terminal).delete()
            else:
                ThemeAssignment.objects.update_or_create(terminal=terminal,
                                                         defaults={"theme": theme, "assigned_by": user})
            TerminalAudit.objects.create(terminal=terminal, action="theme", user=user,
                                         detail={"theme": new, "name": theme.name if theme else None})
            changed += 1
    return changed


def ad_save(*, ad: Ad, terminals, image: dict | None = None) -> Ad:
    """Create or update `ad` (fields set by the form) and the terminals it is shown on."""
    with transaction.atomic():
        if image is not None:
            ad.image = screen_image_store(image=image)
        if ad.kind == Ad.Kind.TEXT:
            ad.image = None
        ad.save()
        ad.terminals.set(terminals)
    return ad
