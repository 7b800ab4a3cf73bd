"""Error pages: the project's own 400/403/404/500 pages, and JSON for the terminal API's paths.

The API answers its own errors (terminals.api); these handlers cover what fails before or
around its views (a middleware, an unknown path under it), so a kiosk never reads HTML.
"""

from django.views import defaults

API_PREFIX = "/api/terminal/"


def _api_error(request, code):
    if not request.path.startswith(API_PREFIX):
        return None
    from terminals.api import render
    from terminals.errors import ApiError, Code

    return render.error(ApiError(Code(code)))


def bad_request(request, exception):
    return _api_error(request, "invalid") or defaults.bad_request(request, exception)


def permission_denied(request, exception):
    # Nothing under the API raises PermissionDenied: its refusals are its own coded 401/403s.
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    return _api_error(request, "not_found") or defaults.page_not_found(request, exception)


def server_error(request):
    return _api_error(request, "internal") or defaults.server_error(request)
