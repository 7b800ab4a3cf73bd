"""The support console, mounted under /support/."""

from django.urls import path

from support import urls_actions, views

app_name = "support"

# The console's reading pages (cheque lookup, payment page, queue, audit) ...
urlpatterns: list = [
    path("", views.lookup, name="lookup"),
    path("cheque/", views.cheque, name="cheque"),
    path("payments/<int:pk>/", views.payment, name="payment"),
    path("queue/", views.queue, name="queue"),
    path("audit/", views.audit, name="audit"),
]
# ... and the correction actions and approvals, kept in their own module.
urlpatterns += urls_actions.urlpatterns
