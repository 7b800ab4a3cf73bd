from django import forms
from django.contrib import admin
from django.utils.html import format_html

from . import services
from .forms import ThemeForm
from .images import image_check
from .models import Ad, ScreenImage, Theme, ThemeAssignment


class ThemeAdminForm(ThemeForm):
    class Meta(ThemeForm.Meta):
        fields = ["dealer", *ThemeForm.Meta.fields]


class AdAdminForm(forms.ModelForm):
    image_file = forms.FileField(required=False)

    class Meta:
        model = Ad
        fields = ["dealer", "name", "kind", "text", "image_file", "position", "date_from", "date_to", "weekdays",
                  "time_from", "time_to", "all_terminals", "terminals", "is_active"]

    def clean_image_file(self):
        upload = self.cleaned_data.get("image_file")
        return image_check(upload) if upload else None


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "dealer", "layout", "background", "accent", "updated_at"]
    list_filter = [("dealer", admin.EmptyFieldListFilter), "layout"]
    search_fields = ["name"]
    form = ThemeAdminForm

    def save_model(self, request, obj, form, change):
        services.theme_save(theme=obj, logo=form.cleaned_data.get("logo_file"),
                            remove_logo=form.cleaned_data.get("remove_logo"))


@admin.register(Ad)
class AdAdmin(admin.ModelAdmin):
    list_display = ["name", "dealer", "kind", "position", "date_from", "date_to", "weekdays", "time_from",
                    "time_to", "all_terminals", "is_active"]
    list_filter = [("dealer", admin.EmptyFieldListFilter), "kind", "position", "is_active"]
    search_fields = ["name", "text"]
    filter_horizontal = ["terminals"]
    form = AdAdminForm

    def save_model(self, request, obj, form, change):
        image = form.cleaned_data.get("image_file")
        if image is not None:
            obj.image = services.screen_image_store(image=image)
        obj.save()


@admin.register(ThemeAssignment)
class ThemeAssignmentAdmin(admin.ModelAdmin):
    list_display = ["terminal", "theme", "assigned_by", "assigned_at"]
    raw_id_fields = ["terminal"]


@admin.register(ScreenImage)
class ScreenImageAdmin(admin.ModelAdmin):
    list_display = ["sha256", "content_type", "size", "width", "height", "created_at"]
    readonly_fields = ["sha256", "content_type", "size", "width", "height", "preview"]
    exclude = ["data"]

    @admin.display(description="preview")
    def preview(self, obj):
        return format_html('<img src="/screens/img/{}" alt="" width="300">', obj.sha256)

    def has_add_permission(self, request):
        return False
