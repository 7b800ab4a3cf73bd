import pytest

from tests.terminals.conftest import _fast_passwords, make_client, transport  # noqa: F401 - shared fixtures


@pytest.fixture
def fresh_devices():
    """Named in-process simulators start from nothing in every test."""
    from kiosk.devices import sim

    sim.forget()
    yield
    sim.forget()


@pytest.fixture
def make_kiosk(terminal, transport, tmp_path, fresh_devices):  # noqa: F811 - the imported fixture
    """make_kiosk(**config) -> a Harness: terminal 1001 enrolled with a fresh code, config read, devices started."""
    from terminals.services import enrollment_code_issue

    from .harness import Harness, config_at

    made = []

    def make(directory=None, *, enroll=True, start=True, **kw):
        cfg = config_at(directory or tmp_path / f"k{len(made)}", **kw)
        code = enrollment_code_issue(terminal=terminal)[1] if enroll else None
        h = Harness(cfg, transport, enroll_code=code, start=start)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()
