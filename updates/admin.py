from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .errors import ReleaseRefused, RolloutMoveRefused
from .models import Release, Rollout, RolloutEvent, TerminalGroup, TerminalTag, TerminalUpdate
from .selectors import rollout_progress
from .services import release_upload, rollout_create, rollout_move


class ReleaseUploadForm(forms.ModelForm):
    """Upload = the archive and its detached signed manifest, both as `kiosk release build` wrote them."""

    archive_file = forms.FileField(label=_("archive (.tar.gz)"))
    manifest_file = forms.FileField(label=_("signed manifest (.manifest.json)"))

    class Meta:
        model = Release
        fields = []

    user = None

    def clean(self):
        cleaned = super().clean()
        archive, manifest = cleaned.get("archive_file"), cleaned.get("manifest_file")
        if archive and manifest:
            try:
                self.release = release_upload(archive=archive, manifest=manifest.read(),
                                              by=self.user.get_username() if self.user else "")
            except ReleaseRefused as exc:
                raise forms.ValidationError(f"{exc.message} ({exc.code}{': ' + exc.detail if exc.detail else ''})",
                                            code=str(exc.code)) from None
        return cleaned

    def save(self, commit=True):
        return self.release

    def save_m2m(self):
        return None


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ["version", "min_version", "file_count", "size", "signed_by", "uploaded_by", "created_at"]
    readonly_fields = ["version", "min_version", "archive", "size", "sha256", "file_count", "signed_by",
                       "manifest", "uploaded_by", "created_at"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            return type("ReleaseUploadFormFor", (ReleaseUploadForm,), {"user": request.user})
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ["archive_file", "manifest_file"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        pass  # release_upload stored it while the form was checked

    def has_change_permission(self, request, obj=None):
        return False  # a release is what was signed: nobody edits it


@admin.register(TerminalTag)
class TerminalTagAdmin(admin.ModelAdmin):
    list_display = ["terminal", "tag"]
    list_filter = ["tag"]
    autocomplete_fields = ["terminal"]


@admin.register(TerminalGroup)
class TerminalGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "dealer", "tag"]
    autocomplete_fields = ["dealer"]
    filter_horizontal = ["terminals"]


class RolloutEventInline(admin.TabularInline):
    model = RolloutEvent
    extra = 0
    readonly_fields = ["action", "old_status", "new_status", "user", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RolloutForm(forms.ModelForm):
    class Meta:
        model = Rollout
        fields = ["release", "group", "percent", "starts_at", "window_start", "window_end"]


@admin.register(Rollout)
class RolloutAdmin(admin.ModelAdmin):
    form = RolloutForm
    list_display = ["release", "group", "percent", "status", "window_start", "window_end", "progress", "created_at"]
    list_filter = ["status"]
    list_select_related = ["release", "group"]
    inlines = [RolloutEventInline]
    actions = ["pause", "resume", "stop"]
    readonly_fields = ["status", "progress", "created_by", "created_at"]

    @admin.display(description=_("progress"))
    def progress(self, obj):
        p = rollout_progress(obj)
        states = ", ".join(f"{TerminalUpdate.State(k).label}: {v}" for k, v in sorted(p["states"].items()))
        return _("%(running)s of %(targets)s run it") % {"running": p["running_it"], "targets": p["targets"]} + (
            f" ({states})" if states else "")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # the release and group of a rollout are fixed; pause or stop it instead
            return [*self.readonly_fields, "release", "group"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = rollout_create(release=obj.release, group=obj.group, percent=obj.percent, starts_at=obj.starts_at,
                                 window_start=obj.window_start, window_end=obj.window_end, user=request.user)
        obj.pk = created.pk

    def _move(self, request, queryset, to):
        for rollout in queryset.order_by("pk"):
            try:
                rollout_move(rollout=rollout, to=to, user=request.user)
            except RolloutMoveRefused:
                self.message_user(request, _("Rollout %(r)s is stopped: it cannot be changed.") % {"r": rollout},
                                  messages.ERROR)

    @admin.action(description=_("Pause the rollout"))
    def pause(self, request, queryset):
        self._move(request, queryset, Rollout.Status.PAUSED)

    @admin.action(description=_("Resume the rollout"))
    def resume(self, request, queryset):
        self._move(request, queryset, Rollout.Status.ACTIVE)

    @admin.action(description=_("Stop the rollout"))
    def stop(self, request, queryset):
        self._move(request, queryset, Rollout.Status.STOPPED)


@admin.register(TerminalUpdate)
class TerminalUpdateAdmin(admin.ModelAdmin):
    list_display = ["terminal", "terminal_version", "version", "state", "reason", "reported_at"]
    list_filter = ["state", "version"]
    list_select_related = ["terminal"]
    search_fields = ["terminal__number"]
    readonly_fields = ["terminal", "version", "state", "reason", "reported_at"]

    @admin.display(description=_("running version"))
    def terminal_version(self, obj):
        return obj.terminal.software_version

    def has_add_permission(self, request):
        return False  # reported by the terminals themselves
