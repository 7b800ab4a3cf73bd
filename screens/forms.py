"""Theme, assignment and ad forms: every kind of bad input is a form error with a clear message."""

from django import forms
from django.utils.translation import gettext_lazy as _

from dealers.access import scope_terminals

from .images import image_check
from .models import WEEKDAYS, Ad, Theme
from .selectors import themes_usable

COLOUR = forms.TextInput(attrs={"type": "color"})
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ThemeForm(forms.ModelForm):
    logo_file = forms.FileField(label=_("Logo (PNG, JPEG, GIF or WebP)"), required=False)
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = Theme
        fields = ["name", "layout", "background", "text", "accent", "button_text"]
        widgets = {"background": COLOUR, "text": COLOUR, "accent": COLOUR, "button_text": COLOUR}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.logo_id:
            del self.fields["remove_logo"]

    def clean_logo_file(self):
        upload = self.cleaned_data.get("logo_file")
        return image_check(upload) if upload else None


class AssignForm(forms.Form):
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=None, required=False,
                                   empty_label=_("the kiosk's default look"))
    all_terminals = forms.BooleanField(label=_("All my terminals"), required=False)
    terminals = forms.ModelMultipleChoiceField(label=_("Terminals"), queryset=None, required=False,
                                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.dealer = dealer
        self.fields["theme"].queryset = themes_usable(dealer).order_by("name")
        self.fields["terminals"].queryset = scope_terminals(dealer).order_by("number")

    def clean(self):
        data = super().clean()
        if not data.get("all_terminals") and not data.get("terminals"):
            raise forms.ValidationError(_("Choose terminals, or all your terminals."))
        return data

    def chosen_terminals(self):
        if self.cleaned_data["all_terminals"]:
            return list(scope_terminals(self.dealer))
        return list(self.cleaned_data["terminals"])


class AdForm(forms.ModelForm):
    days = forms.MultipleChoiceField(label=_("Days of week"), choices=WEEKDAYS, widget=forms.CheckboxSelectMultiple)
    image_file = forms.FileField(label=_("Image (PNG, JPEG, GIF or WebP)"), required=False)
    terminals = forms.ModelMultipleChoiceField(label=_("Terminals"), queryset=None, required=False,
                                               widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Ad
        fields = ["name", "kind", "text", "position", "date_from", "date_to", "time_from", "time_to",
                  "all_terminals", "is_active"]
        widgets = {"date_from": DATE, "date_to": DATE, "time_from": TIME, "time_to": TIME,
                   "text": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["terminals"].queryset = scope_terminals(dealer).order_by("number")
        self.fields["all_terminals"].label = _("On all my terminals")
        if self.instance.pk:
            self.fields["days"].initial = list(self.instance.weekdays)
            self.fields["terminals"].initial = list(self.instance.terminals.values_list("pk", flat=True))
        else:
            self.fields["days"].initial = [d for d, _ in WEEKDAYS]

    def clean_image_file(self):
        upload = self.cleaned_data.get("image_file")
        return image_check(upload) if upload else None

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The schedule ends before it starts."))
        if data.get("time_from") and data.get("time_to") is not None and data["time_to"] <= data["time_from"] \
                and data["time_to"].hour + data["time_to"].minute > 0:
            self.add_error("time_to", _("The daily hours end before they start."))
        if data.get("kind") == Ad.Kind.TEXT and not (data.get("text") or "").strip():
            self.add_error("text", _("A text ad needs its text."))
        if data.get("kind") == Ad.Kind.IMAGE and not data.get("image_file") and not self.instance.image_id:
            self.add_error("image_file", _("An image ad needs an image."))
        if "days" in data:
            self.instance.weekdays = "".join(sorted(data["days"]))
        return data
