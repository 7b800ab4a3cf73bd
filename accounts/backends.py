from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every login that comes with a request.

    Every login over HTTP (our login page, the admin's) passes its request. Only code calls
    authenticate() without one — the test client's login(), a shell — and there is no address
    to lock, so this backend steps aside instead of raising.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
