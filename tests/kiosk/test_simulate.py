import io
import stat

import pytest

import kiosk.simulate as sim
from payments.models import Payment
from terminals.services import enrollment_code_issue

pytestmark = pytest.mark.django_db


class Codes(list):
    """One-time codes issued as a dealer would (the kiosk never runs the server's manage.py)."""

    def __init__(self, terminal):
        super().__init__()
        self.terminal = terminal

    def issue(self) -> str:
        self.append(self.terminal.number)
        return enrollment_code_issue(terminal=self.terminal)[1]


@pytest.fixture
def codes(terminal):
    return Codes(terminal)


def run(transport, tmp_path, count, codes=None, **kw):
    out = io.StringIO()
    key = tmp_path / "var" / "kiosk" / "1001.key"
    code = codes.issue() if codes is not None and not key.exists() else None
    tally = sim.simulate(base="http://testserver", terminal="1001", count=count, timeout=0.3, repo=tmp_path,
                         seed=7, transport=transport, out=out, poll_every=0.1, code=code, **kw)
    return tally, out.getvalue().splitlines()


def test_simulate_enrolls_posts_the_magic_accounts_and_prints_a_line_each(terminal, transport, tmp_path, codes):
    tally, lines = run(transport, tmp_path, 20, codes)
    assert codes == ["1001"]
    key = tmp_path / "var" / "kiosk" / "1001.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    payments = Payment.objects.filter(terminal=terminal)
    assert payments.count() == 20
    accounts = {(p.provider_code, p.account[-4:]) for p in payments}
    for code in ("mts", "rostelecom"):
        for suffix in ("0001", "0002", "0003", "0004", "0005", "0006", "0007"):
            assert (code, suffix) in accounts
    assert sum(tally.values()) == 20
    assert lines[-1].startswith("20 payments from terminal 1001:")
    txn_lines = [line for line in lines[:-1] if line.split() and line.split()[0].isdigit()]
    assert len(txn_lines) == 20
    assert all(p.flags == [] for p in payments)  # the kiosk's printed fee matches the server's rules


def test_simulate_reuses_its_key_and_continues_after_last_txn(terminal, transport, tmp_path, codes):
    run(transport, tmp_path, 3, codes)
    run(transport, tmp_path, 3, codes)
    assert codes == ["1001"]
    txns = sorted(int(t) for t in Payment.objects.filter(terminal=terminal).values_list("txn", flat=True))
    assert txns == [1, 2, 3, 4, 5, 6]


def test_simulate_enrolls_again_when_the_server_forgot_its_key(terminal, transport, tmp_path, codes):
    run(transport, tmp_path, 1, codes)
    type(terminal).objects.filter(pk=terminal.pk).update(public_key="")
    with pytest.raises(SystemExit, match="give --code CODE"):
        run(transport, tmp_path, 1)
    tally = sim.simulate(base="http://testserver", terminal="1001", count=1, timeout=0.3, repo=tmp_path,
                          seed=7, transport=transport, out=io.StringIO(), poll_every=0.1, code=codes.issue())
    assert codes == ["1001", "1001"]
    assert sum(tally.values()) == 1


def test_simulate_reads_the_code_from_the_environment(terminal, transport, tmp_path, codes, monkeypatch):
    monkeypatch.setenv("KIOSK_ENROLL_CODE", codes.issue())
    tally, _ = run(transport, tmp_path, 2)
    assert sum(tally.values()) == 2
    assert (tmp_path / "var" / "kiosk" / "1001.key").exists()


def test_simulate_never_runs_the_servers_manage_py():
    source = (sim.REPO / "kiosk" / "simulate.py").read_text()
    assert "manage.py" not in source
    assert "subprocess" not in source


def test_the_cli_parses_its_arguments(monkeypatch):
    import kiosk.__main__ as cli

    seen = {}
    monkeypatch.setattr(cli, "simulate", lambda **kw: seen.update(kw))
    assert cli.main(["simulate", "--base", "http://x", "--terminal", "1002", "--count", "5",
                     "--code", "1234-5678-9012"]) == 0
    assert (seen["base"], seen["terminal"], seen["count"], seen["timeout"], seen["code"]) == (
        "http://x", "1002", 5, 90.0, "1234-5678-9012")


def test_simulate_labels_its_columns_first_the_transaction_number(terminal, transport, tmp_path, codes):
    _, lines = run(transport, tmp_path, 2, codes)
    assert lines[-4].split() == ["txn", "provider", "account", "amount", "status", "reason"]
