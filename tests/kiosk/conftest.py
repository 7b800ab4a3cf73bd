from tests.terminals.conftest import _fast_passwords, make_client, transport  # noqa: F401 - shared fixtures
