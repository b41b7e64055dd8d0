"""`serve --workers N`: SO_REUSEPORT workers under one parent that migrates once and restarts crashes."""

import os
import signal
import urllib.request

import pytest

from babyshield_chat.workers import Supervisor, worker_command, worker_env

from babyshield_chat.devtools.processes import DEV_ENV, ServiceProcess, http_status, wait_for

GRACE_SEC = 5


def started_pids(service):
    return [line["pid"] for line in service.log_lines() if line.get("event") == "worker_started"]


def listening_pids(service):
    return {line["pid"] for line in service.log_lines() if line.get("event") == "listening"}


def gone(pid):
    """True once `pid` is reaped (or a zombie about to be)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.fixture
def two_workers(pg_dir):
    # No BS_DATABASE_URL: the parent starts the embedded PostgreSQL and migrates it, once.
    service = ServiceProcess({**DEV_ENV, "BS_EMBEDDED_PG_DIR": str(pg_dir / "pg"),
                              "BS_SHUTDOWN_GRACE_SEC": str(GRACE_SEC)}, workers=2)
    try:
        service.wait_ready()
        wait_for(lambda: len(listening_pids(service)) == 2, timeout=20, what="two workers listening")
        yield service
    finally:
        service.stop()


def test_a_killed_worker_is_replaced_and_the_service_keeps_answering(two_workers):
    victim, survivor = started_pids(two_workers)
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: gone(victim), timeout=10, what="the killed worker to go")
    # Meanwhile the other worker holds the port: fresh connections keep being answered.
    assert [http_status(f"{two_workers.url}/healthz") for _ in range(20)] == [200] * 20
    pids = wait_for(lambda: len(started_pids(two_workers)) == 3 and started_pids(two_workers), timeout=10,
                    what="a replacement worker")
    replacement = pids[2]
    assert replacement not in (victim, survivor)
    wait_for(lambda: replacement in listening_pids(two_workers), timeout=20, what="the replacement to listen")
    assert http_status(f"{two_workers.url}/readyz") == 200
    assert not gone(survivor) and not gone(replacement)


def test_sigterm_reaches_every_worker_and_the_parent_exits_0(two_workers, pg_dir):
    pids = started_pids(two_workers)
    two_workers.signal(signal.SIGTERM)
    assert two_workers.wait(timeout=GRACE_SEC + 10) == 0
    assert all(gone(pid) for pid in pids)
    # The parent stopped the embedded cluster it started.
    assert not (pg_dir / "pg" / "pgdata" / "postmaster.pid").exists()


def test_the_parent_migrated_once_for_all_workers(two_workers):
    events = [line.get("event") for line in two_workers.log_lines()]
    assert events.count("worker_started") == 2
    request = urllib.request.Request(f"{two_workers.url}/api/v1/chat/profile", headers={"X-User-Id": "w"})
    with urllib.request.urlopen(request, timeout=2) as response:  # a table the migration created
        assert response.status == 200


def test_workers_that_die_at_start_make_the_parent_give_up(tmp_path):
    # A worker that exits at once, every time: the parent must not restart it forever.
    supervisor = Supervisor(["/bin/false"], 2, env=worker_env("postgresql://unused"), grace_sec=1)
    assert supervisor.run() == 1


def test_the_worker_command_is_serve_worker_on_the_shared_port():
    command = worker_command("127.0.0.1", 8123)
    assert command[-6:] == ["serve", "--host", "127.0.0.1", "--port", "8123", "--worker"]


def test_a_worker_count_below_one_is_refused():
    with pytest.raises(ValueError, match="0"):
        Supervisor(["/bin/true"], 0, env={}, grace_sec=1)
