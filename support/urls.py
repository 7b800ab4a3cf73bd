"""The support console, mounted under /support/."""

from django.urls import path  # noqa: F401

from support import urls_actions

app_name = "support"

# The console's reading pages (cheque lookup, payment page, queue, audit) ...
urlpatterns: list = []
# ... and the correction actions and approvals, kept in their own module.
urlpatterns += urls_actions.urlpatterns
