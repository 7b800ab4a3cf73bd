import io
import stat
import subprocess

import pytest

import kiosk.simulate as sim
from payments.models import Payment
from terminals.services import enrollment_code_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def codes(monkeypatch, terminal):
    """issue_code without a subprocess (the test database is not the one manage.py would open)."""
    issued = []

    def issue(number, repo):
        issued.append(number)
        return enrollment_code_issue(terminal=terminal)[1]

    monkeypatch.setattr(sim, "issue_code", issue)
    return issued


def run(transport, tmp_path, count, **kw):
    out = io.StringIO()
    tally = sim.simulate(base="http://testserver", terminal="1001", count=count, timeout=0.3, repo=tmp_path,
                         seed=7, transport=transport, out=out, poll_every=0.1, **kw)
    return tally, out.getvalue().splitlines()


def test_simulate_enrolls_posts_the_magic_accounts_and_prints_a_line_each(terminal, transport, tmp_path, codes):
    tally, lines = run(transport, tmp_path, 20)
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
    run(transport, tmp_path, 3)
    run(transport, tmp_path, 3)
    assert codes == ["1001"]
    txns = sorted(int(t) for t in Payment.objects.filter(terminal=terminal).values_list("txn", flat=True))
    assert txns == [1, 2, 3, 4, 5, 6]


def test_simulate_enrolls_again_when_the_server_forgot_its_key(terminal, transport, tmp_path, codes):
    run(transport, tmp_path, 1)
    type(terminal).objects.filter(pk=terminal.pk).update(public_key="")
    run(transport, tmp_path, 1)
    assert codes == ["1001", "1001"]


def test_issue_code_reads_the_last_line_of_the_command(monkeypatch, tmp_path):
    def fake_run(cmd, **kw):
        assert cmd[1:] == ["manage.py", "issue_enrollment_code", "1001"]
        assert kw["cwd"] == tmp_path
        return subprocess.CompletedProcess(cmd, 0, stdout="Enrollment code for terminal 1001:\n1234-5678-9012\n",
                                           stderr="")

    monkeypatch.setattr(sim.subprocess, "run", fake_run)
    assert sim.issue_code("1001", tmp_path) == "1234-5678-9012"


def test_the_cli_parses_its_arguments(monkeypatch):
    import kiosk.__main__ as cli

    seen = {}
    monkeypatch.setattr(cli, "simulate", lambda **kw: seen.update(kw))
    assert cli.main(["simulate", "--base", "http://x", "--terminal", "1002", "--count", "5"]) == 0
    assert (seen["base"], seen["terminal"], seen["count"], seen["timeout"]) == ("http://x", "1002", 5, 90.0)


def test_simulate_labels_its_columns_first_the_transaction_number(terminal, transport, tmp_path, codes):
    _, lines = run(transport, tmp_path, 2)
    assert lines[-4].split() == ["txn", "provider", "account", "amount", "status", "reason"]
