"""The terminal API's short way through the middleware.

Kiosks sign every request and carry no cookies: sessions, authentication, CSRF, the language,
messages, second factors, idle time-outs, CSP, clickjacking headers and django-axes are all
for people in browsers. This middleware sits right after SecurityMiddleware (HTTPS redirect,
HSTS, nosniff still apply) and sends /api/terminal/v1/ requests straight to their view, skipping
the rest of the chain: about a seventh of an acceptance's CPU (docs/performance.md).

The views under that prefix handle every exception themselves (terminals/api/views.py `api`),
so nothing below relied on the skipped middleware's exception handling.
"""

from django.urls import get_resolver

PREFIX = "/api/terminal/v1/"
URLCONF = "terminals.api.urls"  # mounted at PREFIX by kit/urls.py; ends in a catch-all 404


class TerminalApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        # Resolved in the API's own URLconf: not every pattern of the site before it.
        match = get_resolver(URLCONF).resolve(request.path_info[len(PREFIX) - 1:])
        request.resolver_match = match
        response = match.func(request, *match.args, **match.kwargs)
        if not response.streaming and "Content-Length" not in response:
            # What CommonMiddleware would add: a kiosk reads a sized body, never a chunked one.
            response["Content-Length"] = str(len(response.content))
        return response
