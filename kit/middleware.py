"""The terminal API's short way through the middleware.

Kiosks sign every request and carry no cookies: sessions, authentication, CSRF, the language,
messages, second factors, idle time-outs, CSP, clickjacking headers and django-axes are all
for people in browsers. This middleware sits right after SecurityMiddleware (HTTPS redirect,
HSTS, nosniff still apply) and sends /api/terminal/ requests straight to their view, skipping
the rest of the chain: about a seventh of an acceptance's CPU (docs/performance.md).

The views under that prefix handle every exception themselves (terminals/api/views.py `api`),
so nothing below relied on the skipped middleware's exception handling.
"""

from django.urls import get_resolver

PREFIX = "/api/terminal/"


class TerminalApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        match = get_resolver().resolve(request.path_info)
        request.resolver_match = match
        return match.func(request, *match.args, **match.kwargs)
