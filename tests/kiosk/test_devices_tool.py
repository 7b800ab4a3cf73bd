"""python -m kiosk devices: identification, bill table, status, one note, a test cheque."""

import io

import pytest

from kiosk.__main__ import main
from kiosk.devices import sim
from kiosk.devices.tool import add_arguments, run


@pytest.fixture(autouse=True)
def fresh():
    sim.forget()
    sim.register()
    yield
    sim.forget()


def tool(*argv):
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    out = io.StringIO()
    code = run(parser.parse_args(list(argv)), out=out)
    return code, out.getvalue()


def test_the_tool_shows_identification_bill_table_and_status():
    code, out = tool("--validator", "kitsim://ccnet/t", "--printer", "kitsim://printer/t")
    assert code == 0
    assert "validator: SM-RU1353, serial 41K000001" in out
    assert "type  4: 100 RUS" in out and "type 13: 2000 RUS" in out
    assert "printer: ok (DLE EOT 12 12 12 12)" in out


def test_the_tool_takes_one_note_and_prints_a_test_cheque():
    sim.device("ccnet", "t").insert(500)
    code, out = tool("--validator", "kitsim://ccnet/t", "--printer", "kitsim://printer/t", "--accept-note",
                     "--test-cheque", "--timeout", "5")
    assert code == 0, out
    assert "note stacked: 500 RUS" in out and "test cheque printed" in out
    assert sim.device("ccnet", "t").counts()["stacked"] == 1
    assert "ТЕСТОВЫЙ ЧЕК" in sim.device("printer", "t").last_document()


def test_the_tool_can_give_the_note_back():
    sim.device("ccnet", "t").insert(100)
    code, out = tool("--validator", "kitsim://ccnet/t", "--accept-note", "--return-note", "--timeout", "5")
    assert "note returned: 100 RUS" in out
    assert sim.device("ccnet", "t").counts()["stacked"] == 0


def test_the_tool_fails_with_the_reason_when_the_validator_is_silent():
    sim.device("ccnet", "t").set_silent(True)
    code, out = tool("--validator", "kitsim://ccnet/t")
    assert code == 1 and "ValidatorTimeout" in out


def test_the_tool_reports_a_printer_without_paper():
    sim.device("printer", "t").set_status(paper="out")
    code, out = tool("--printer", "kitsim://printer/t", "--test-cheque")
    assert code == 1 and "PrinterNotReady" in out and "paper_out" in out


def test_the_devices_command_is_reachable_from_python_m_kiosk(capsys):
    assert main(["devices", "--printer", "kitsim://printer/t"]) == 0
    assert "printer: ok" in capsys.readouterr().out
