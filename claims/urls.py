"""Staff claim pages, mounted under /support/claims/."""

from django.urls import path, register_converter

from . import views


class ClaimNumber:
    regex = r"CL-[0-9]{4}-[0-9]{6}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(ClaimNumber, "claim")

app_name = "claims"

urlpatterns: list = [
    path("", views.claim_list, name="list"),
    path("new/", views.claim_register, name="register"),
    path("<claim:number>/", views.claim_detail, name="detail"),
    path("<claim:number>/step/", views.claim_step, name="step"),
    path("<claim:number>/link/", views.claim_link, name="link"),
    path("<claim:number>/escalate/", views.claim_escalate, name="escalate"),
    path("<claim:number>/print.pdf", views.claim_print, name="print"),
    path("<claim:number>/answer.pdf", views.claim_answer, name="answer"),
    path("<claim:number>/scan/", views.claim_scan, name="scan"),
]
