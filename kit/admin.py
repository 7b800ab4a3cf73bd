"""The admin's titles: KIT, not Django; the side bar off so a list's columns fit a 1366 px screen."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

admin.site.site_header = "KIT"
admin.site.site_title = "KIT"
admin.site.index_title = _("Administration")
# The model list in a side bar takes a quarter of a laptop screen from every change list; the
# index page and the KIT menu in the header (templates/admin/base_site.html) lead everywhere.
admin.site.enable_nav_sidebar = False
