from django.contrib import admin

from .models import SimulatorState


@admin.register(SimulatorState)
class SimulatorStateAdmin(admin.ModelAdmin):
    list_display = ["code", "down", "latency_ms"]
    list_editable = ["down", "latency_ms"]
    fields = ["code", "down", "latency_ms"]
