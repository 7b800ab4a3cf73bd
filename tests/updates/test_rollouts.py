"""Which terminals a rollout reaches, and when."""

from datetime import UTC, datetime, time

import pytest

from terminals.models import Terminal
from updates.errors import RolloutMoveRefused
from updates.models import Release, Rollout, RolloutEvent, TerminalGroup, TerminalTag, TerminalUpdate
from updates.selectors import rollout_bucket, rollout_pending_for, rollout_progress
from updates.services import rollout_create, rollout_move, terminal_update_record

pytestmark = pytest.mark.django_db
NOON = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 12:00 in Moscow, the server's time zone


def release(version="0.3.0", min_version="0"):
    return Release.objects.create(version=version, min_version=min_version, archive=f"kit-kiosk/{version}.tar.gz",
                                  size=10, sha256="0" * 64, manifest={}, file_count=1, signed_by="built-in")


def terminals(dealer, first, count, version="kit-kiosk/0.2.0"):
    Terminal.objects.bulk_create([Terminal(number=str(first + i), dealer=dealer, software_version=version)
                                  for i in range(count)])
    return list(Terminal.objects.filter(number__in=[str(first + i) for i in range(count)]))


def list_group(name, members):
    group = TerminalGroup.objects.create(name=name, kind=TerminalGroup.Kind.LIST)
    group.terminals.set(members)
    return group


def test_a_50_percent_rollout_reaches_about_half_of_its_group_and_nobody_outside(world, terminal):
    inside = terminals(terminal.dealer, 20000, 200)
    outside = terminals(terminal.dealer, 30000, 50)
    r = release()
    rollout_create(release=r, group=list_group("pilot", inside), percent=50)

    reached = [t for t in inside if rollout_pending_for(t, now=NOON) == r]

    assert 80 <= len(reached) <= 120
    assert [t for t in outside if rollout_pending_for(t, now=NOON) is not None] == []


def test_raising_the_percentage_keeps_the_terminals_already_reached(world, terminal):
    inside = terminals(terminal.dealer, 20000, 100)
    r = release()
    rollout = rollout_create(release=r, group=list_group("pilot", inside), percent=30)
    first = {t.number for t in inside if rollout_pending_for(t, now=NOON)}
    Rollout.objects.filter(pk=rollout.pk).update(percent=60)
    second = {t.number for t in inside if rollout_pending_for(t, now=NOON)}
    assert first < second


def test_the_bucket_is_fixed_per_terminal_and_release():
    assert rollout_bucket(terminal_number="1001", version="0.3.0") == rollout_bucket(
        terminal_number="1001", version="0.3.0")
    assert 0 <= rollout_bucket(terminal_number="1001", version="0.3.0") < 100


def test_a_dealer_group_holds_its_sub_agents_terminals_and_no_one_elses(world, terminal, demo_sub, foreign):
    sub_terminal = terminals(demo_sub, 40000, 1)[0]
    r = release()
    group = TerminalGroup.objects.create(name="demo", kind=TerminalGroup.Kind.DEALER, dealer=terminal.dealer)
    rollout_create(release=r, group=group)
    Terminal.objects.filter(number__in=["1001", "9001"]).update(software_version="kit-kiosk/0.2.0")

    assert rollout_pending_for(Terminal.objects.get(number="1001"), now=NOON) == r
    assert rollout_pending_for(sub_terminal, now=NOON) == r
    assert rollout_pending_for(Terminal.objects.get(number="9001"), now=NOON) is None


def test_a_tag_group_holds_the_tagged_terminals(world, terminal):
    tagged, plain = terminals(terminal.dealer, 20000, 2)
    TerminalTag.objects.create(terminal=tagged, tag="night-owls")
    r = release()
    rollout_create(release=r, group=TerminalGroup.objects.create(name="owls", kind="tag", tag="night-owls"))
    assert rollout_pending_for(tagged, now=NOON) == r
    assert rollout_pending_for(plain, now=NOON) is None


def test_outside_the_schedule_window_nothing_is_sent(world, terminal):
    member = terminals(terminal.dealer, 20000, 1)[0]
    r = release()
    rollout_create(release=r, group=list_group("g", [member]), window_start=time(1, 0), window_end=time(5, 0))
    assert rollout_pending_for(member, now=NOON) is None
    assert rollout_pending_for(member, now=datetime(2026, 12, 7, 0, 30, tzinfo=UTC)) == r  # 03:30 Moscow


def test_a_window_across_midnight(world, terminal):
    member = terminals(terminal.dealer, 20000, 1)[0]
    r = release()
    rollout_create(release=r, group=list_group("g", [member]), window_start=time(23, 0), window_end=time(4, 0))
    assert rollout_pending_for(member, now=datetime(2026, 12, 7, 21, 0, tzinfo=UTC)) == r  # 00:00 Moscow
    assert rollout_pending_for(member, now=NOON) is None


def test_a_rollout_that_has_not_started_yet_sends_nothing(world, terminal):
    member = terminals(terminal.dealer, 20000, 1)[0]
    rollout_create(release=release(), group=list_group("g", [member]), starts_at=datetime(2026, 12, 8, tzinfo=UTC))
    assert rollout_pending_for(member, now=NOON) is None


def test_paused_and_stopped_rollouts_send_nothing_and_resume_works(world, terminal, admin_user):
    member = terminals(terminal.dealer, 20000, 1)[0]
    r = release()
    rollout = rollout_create(release=r, group=list_group("g", [member]), user=admin_user)

    rollout_move(rollout=rollout, to=Rollout.Status.PAUSED, user=admin_user)
    assert rollout_pending_for(member, now=NOON) is None
    rollout_move(rollout=rollout, to=Rollout.Status.ACTIVE, user=admin_user)
    assert rollout_pending_for(member, now=NOON) == r
    rollout_move(rollout=rollout, to=Rollout.Status.STOPPED, user=admin_user)
    assert rollout_pending_for(member, now=NOON) is None
    with pytest.raises(RolloutMoveRefused):
        rollout_move(rollout=rollout, to=Rollout.Status.ACTIVE, user=admin_user)
    assert list(RolloutEvent.objects.filter(rollout=rollout).order_by("id").values_list("action", "new_status")) == [
        ("create", "active"), ("pause", "paused"), ("resume", "active"), ("stop", "stopped")]


def test_the_highest_due_release_wins_and_nothing_at_or_below_the_running_version(world, terminal):
    member = terminals(terminal.dealer, 20000, 1, version="kit-kiosk/0.3.0")[0]
    group = list_group("g", [member])
    rollout_create(release=release("0.3.0"), group=group)
    assert rollout_pending_for(member, now=NOON) is None
    rollout_create(release=release("0.4.0"), group=group)
    rollout_create(release=release("0.10.0"), group=group)
    assert rollout_pending_for(member, now=NOON).version == "0.10.0"


def test_a_release_whose_minimum_is_above_the_running_version_is_not_sent(world, terminal):
    member = terminals(terminal.dealer, 20000, 1)[0]
    rollout_create(release=release("0.5.0", min_version="0.4.0"), group=list_group("g", [member]))
    assert rollout_pending_for(member, now=NOON) is None


def test_a_release_the_terminal_rolled_back_is_not_sent_again(world, terminal):
    member = terminals(terminal.dealer, 20000, 1)[0]
    r = release()
    rollout_create(release=r, group=list_group("g", [member]))
    terminal_update_record(terminal=member, version="0.3.0", state="rolled_back", reason="health: exit 1")
    assert rollout_pending_for(member, now=NOON) is None
    terminal_update_record(terminal=member, version="0.3.0", state="downloading")
    assert rollout_pending_for(member, now=NOON) == r


def test_a_group_s_progress_counts_its_reached_terminals_by_state(world, terminal):
    members = terminals(terminal.dealer, 20000, 3)
    r = release()
    rollout = rollout_create(release=r, group=list_group("g", members))
    Terminal.objects.filter(pk=members[0].pk).update(software_version="kit-kiosk/0.3.0")
    terminal_update_record(terminal=members[0], version="0.3.0", state=TerminalUpdate.State.RUNNING)
    terminal_update_record(terminal=members[1], version="0.3.0", state=TerminalUpdate.State.FAILED,
                           reason="file_hash: kiosk/app.py")
    assert rollout_progress(rollout) == {"targets": 3, "running_it": 1, "states": {"running": 1, "failed": 1}}


def test_the_admin_shows_a_rollout_s_progress_and_pauses_it(client, admin_user, terminal):
    member = terminals(terminal.dealer, 20000, 1)[0]
    rollout = rollout_create(release=release(), group=list_group("g", [member]))
    client.force_login(admin_user)
    page = client.get("/admin/updates/rollout/")
    assert page.status_code == 200
    response = client.post("/admin/updates/rollout/", {"action": "pause", "_selected_action": [rollout.pk]})
    assert response.status_code == 302
    rollout.refresh_from_db()
    assert rollout.status == "paused"


def test_the_update_command_args_are_what_the_kiosk_handler_takes(world, terminal, tmp_path):
    from kiosk.updates.install import Updater
    from updates.selectors import update_command_args

    from .kit import install_root

    r = Release.objects.create(version="0.3.0", min_version="0", archive="kit-kiosk/x.tar.gz", size=1234,
                               sha256="ab" * 32, manifest={}, file_count=1, signed_by="built-in")
    args = update_command_args(r)
    assert args == {"version": "0.3.0", "sha256": "ab" * 32, "size": 1234}
    up = Updater(root=install_root(tmp_path), data_dir=tmp_path / "d", running_version="0.2.0")
    assert up.handle(args) == {"version": "0.3.0", "state": "pending", "reason": ""}


def test_a_due_rollout_queues_one_update_command_that_the_heartbeat_delivers_with_hash_and_size(world, terminal):
    from terminals.commands import commands_deliver
    from terminals.models import TerminalCommand
    from updates.services import rollout_commands_queue

    Terminal.objects.filter(pk=terminal.pk).update(software_version="kit-kiosk/0.2.0")
    terminal.refresh_from_db()
    r = Release.objects.create(version="0.3.0", min_version="0", archive="kit-kiosk/0.3.0.tar.gz", size=4321,
                               sha256="cd" * 32, manifest={}, file_count=1, signed_by="built-in")
    rollout_create(release=r, group=list_group("pilot", [terminal]), percent=100)

    first = rollout_commands_queue(terminal=terminal, now=NOON)
    again = rollout_commands_queue(terminal=terminal, now=NOON)

    assert first is not None and again is None
    assert list(TerminalCommand.objects.filter(terminal=terminal).values_list("kind", "args")) == [
        ("update", {"release": "0.3.0"})]
    assert commands_deliver(terminal=terminal) == [{"id": first.pk, "kind": "update", "args": {
        "release": "0.3.0", "version": "0.3.0", "sha256": "cd" * 32, "size": 4321}}]


def test_a_terminal_outside_every_rollout_gets_no_update_command(world, terminal):
    from terminals.models import TerminalCommand
    from updates.services import rollout_commands_queue

    rollout_create(release=release(), group=list_group("pilot", []), percent=100)
    assert rollout_commands_queue(terminal=terminal, now=NOON) is None
    assert not TerminalCommand.objects.filter(terminal=terminal).exists()
