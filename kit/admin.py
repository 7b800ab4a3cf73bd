"""The admin's titles: KIT, not Django; the side bar off so a list's columns fit a 1366 px screen."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

admin.site.site_header = "KIT"
admin.site.site_title = "KIT"
admin.site.index_title = _("Administration")
# The model list in a side bar takes a quarter of a laptop screen from every change list; the
# index page and the KIT menu in the header (templates/admin/base_site.html) lead everywhere.
admin.site.enable_nav_sidebar = False


def _permission_label(permission) -> str:
    """A permission as the admin's pickers show it, its name in the reader's language (the table
    keeps the English name it was created with)."""
    return f"{permission.content_type} | {gettext(permission.name)}"


class _TranslatedPermissions:
    """Group and user pages: permission names translated where the catalogue has them."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions") and field is not None:
            field.label_from_instance = _permission_label
        return field


def _retranslate(model) -> None:
    current = type(admin.site._registry[model])
    admin.site.unregister(model)
    admin.site.register(model, type(current.__name__, (_TranslatedPermissions, current), {}))


# django.contrib.auth comes before kit in INSTALLED_APPS, so its admin is registered by now.
_retranslate(get_user_model())
_retranslate(Group)
