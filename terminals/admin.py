from django.contrib import admin

from .models import Terminal


@admin.register(Terminal)
class TerminalAdmin(admin.ModelAdmin):
    list_display = ["number", "dealer", "address", "status", "last_seen", "software_version", "enrolled_at"]
    list_filter = ["status", "dealer"]
    search_fields = ["number", "address"]
    readonly_fields = ["public_key", "enrolled_at", "last_seen", "software_version"]
    filter_horizontal = ["providers"]
    autocomplete_fields = ["dealer"]
