"""The dealer cabinet (/cabinet/). Every URL with an id is covered by the generated isolation test
(tests/dealers/test_cabinet_isolation.py): add the new id's owner there."""

from django.urls import include, path

from updates import cabinet as updates_cabinet

from .cabinet import money, terminals, views

app_name = "cabinet"

urlpatterns: list = [
    path("", views.overview, name="overview"),
    path("terminals/", terminals.terminal_list, name="terminals"),
    path("terminals/<int:pk>/", terminals.terminal_detail, name="terminal"),
    path("terminals/<int:pk>/code/", terminals.terminal_code, name="terminal_code"),
    path("terminals/<int:pk>/block/", terminals.terminal_block, name="terminal_block"),
    path("terminals/<int:pk>/unblock/", terminals.terminal_unblock, name="terminal_unblock"),
    path("terminals/<int:pk>/providers/", terminals.terminal_providers, name="terminal_providers"),
    path("payments/", money.payment_list, name="payments"),
    path("payments/<int:pk>/", money.payment_detail, name="payment"),
    path("balance/", money.balance, name="balance"),
    path("reports/", money.reports, name="reports"),
    path("exports/<int:pk>/", money.export_detail, name="export"),
    path("exports/<int:pk>/download/", money.export_download, name="export_download"),
    path("account/", views.account, name="account"),
    path("updates/", updates_cabinet.updates, name="updates"),
    path("alerts/", include("alerts.cabinet_urls")),
    path("", include("screens.cabinet_urls")),
]
