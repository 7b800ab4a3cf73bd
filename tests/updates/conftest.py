from tests.kiosk.conftest import fresh_devices, make_kiosk  # noqa: F401 - shared fixtures
from tests.terminals.conftest import *  # noqa: F401,F403 - terminals, dealers, the signed client
