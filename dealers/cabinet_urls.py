"""The dealer cabinet (/cabinet/). Every URL with an id is covered by the generated isolation test
(tests/cabinet/test_isolation.py): add the new id's owner there."""

from django.urls import include, path

from claims import cabinet as claims_cabinet
from updates import cabinet as updates_cabinet

from .cabinet import agents, commands, encashments, money, statements, terminals, views

app_name = "cabinet"

urlpatterns: list = [
    path("", views.overview, name="overview"),
    path("terminals/", terminals.terminal_list, name="terminals"),
    path("terminals/<int:pk>/", terminals.terminal_detail, name="terminal"),
    path("terminals/<int:pk>/code/", terminals.terminal_code, name="terminal_code"),
    path("terminals/<int:pk>/block/", terminals.terminal_block, name="terminal_block"),
    path("terminals/<int:pk>/unblock/", terminals.terminal_unblock, name="terminal_unblock"),
    path("terminals/<int:pk>/providers/", terminals.terminal_providers, name="terminal_providers"),
    # Remote commands and encashments (dealers/cabinet/commands.py, encashments.py)
    path("commands/", commands.command_list, name="commands"),
    path("logs/<int:pk>/", commands.log_download, name="terminal_log"),
    path("encashments/", encashments.encashment_list, name="encashments"),
    path("encashments/<int:pk>/", encashments.encashment_detail, name="encashment"),
    path("encashments/<int:pk>/counted/", encashments.encashment_count, name="encashment_count"),
    path("payments/", money.payment_list, name="payments"),
    path("payments/<int:pk>/", money.payment_detail, name="payment"),
    path("balance/", money.balance, name="balance"),
    path("reports/", money.reports, name="reports"),
    path("exports/<int:pk>/", money.export_detail, name="export"),
    path("exports/<int:pk>/download/", money.export_download, name="export_download"),
    path("account/", views.account, name="account"),
    path("claims/", claims_cabinet.claim_list, name="claims"),
    path("claims/<int:pk>/", claims_cabinet.claim_detail, name="claim"),
    path("updates/", updates_cabinet.updates, name="updates"),
    path("alerts/", include("alerts.cabinet_urls")),
    path("", include("screens.cabinet_urls")),
    # Sub-agents, transfers, thresholds (dealers/cabinet/agents.py)
    path("agents/", agents.agent_list, name="agents"),
    path("agents/<int:pk>/", agents.agent_detail, name="agent"),
    path("agents/<int:pk>/edit/", agents.agent_edit, name="agent_edit"),
    path("agents/<int:pk>/deactivate/", agents.agent_deactivate, name="agent_deactivate"),
    path("agents/<int:pk>/activate/", agents.agent_activate, name="agent_activate"),
    path("agents/<int:pk>/rates/", agents.agent_rate, name="agent_rate"),
    path("agents/<int:pk>/users/", agents.agent_user_create, name="agent_user_create"),
    path("agents/<int:pk>/transfer/", agents.agent_transfer, name="agent_transfer"),
    path("agents/users/<int:pk>/deactivate/", agents.agent_user_deactivate, name="agent_user_deactivate"),
    path("agents/users/<int:pk>/activate/", agents.agent_user_activate, name="agent_user_activate"),
    path("dealers/<int:pk>/threshold/", agents.dealer_threshold, name="dealer_threshold"),
    # Statements and top-up requests (dealers/cabinet/statements.py)
    path("statements/", statements.statements, name="statements"),
    path("topups/", statements.topups, name="topups"),
    path("topups/<int:pk>/scan/", statements.topup_scan, name="topup_scan"),
]
