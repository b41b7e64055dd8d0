"""An embedded PostgreSQL for local runs and tests, from the machine's own binaries.

`serve` without `BS_DATABASE_URL` and the test suite without
`BS_TEST_DATABASE_URL` both use it: `initdb` once into a data directory of
our own, `pg_ctl start` on a free loopback port, `pg_ctl stop` on exit.
PostgreSQL refuses to run as root, so as root every command runs as the
`postgres` user (`runuser -u postgres --`) on a directory it owns.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

POSTGRES_USER = "postgres"
DEFAULT_DATABASE = "babyshield_chat"

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them "
    "(Debian/Ubuntu: `sudo apt-get install -y postgresql`) or set BS_DATABASE_URL "
    "to an existing database."
)


class EmbeddedPostgresError(RuntimeError):
    pass


def find_bindir() -> Path | None:
    """The newest PostgreSQL server bindir: Debian's layout, pg_config, then PATH."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        bindir = Path(out.stdout.strip())
        if (bindir / "initdb").exists():
            return bindir
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclasses.dataclass
class EmbeddedPostgres:
    """A private PostgreSQL cluster in `data_dir`, listening on 127.0.0.1 only."""

    data_dir: Path
    port: int = 0
    ephemeral: bool = False  # tests: no fsync, nothing worth keeping
    bindir: Path | None = None

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.bindir = Path(self.bindir) if self.bindir else find_bindir()
        if self.bindir is None or not (self.bindir / "initdb").exists():
            raise EmbeddedPostgresError(INSTALL_HINT)
        self._as_root = os.geteuid() == 0
        if self._as_root:
            try:
                pwd.getpwnam(POSTGRES_USER)
            except KeyError:
                raise EmbeddedPostgresError(
                    f"running as root needs a '{POSTGRES_USER}' system user to own the cluster; {INSTALL_HINT}"
                ) from None

    @property
    def socket_dir(self) -> Path:
        return self.data_dir / "sockets"

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def pid_file(self) -> Path:
        """PostgreSQL's `postmaster.pid`: the postmaster's pid on its first line, there while it runs."""
        return self.pgdata / "postmaster.pid"

    def url(self, database: str = DEFAULT_DATABASE) -> str:
        return f"postgresql://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", POSTGRES_USER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/")
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"{args[0]} failed: {(result.stderr or result.stdout).strip()[-800:]}")
        return result

    def _prepare_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        if self._as_root:
            record = pwd.getpwnam(POSTGRES_USER)
            os.chown(self.data_dir, record.pw_uid, record.pw_gid)

    def start(self) -> str:
        """initdb when needed, start, create the database; return its URL."""
        pgdata = self.pgdata
        self._prepare_dir()
        if not (pgdata / "PG_VERSION").exists():
            self._run("initdb", "-D", str(pgdata), "-U", POSTGRES_USER, "--auth=trust", "-E", "UTF8", "--no-instructions")
        self.socket_dir.mkdir(exist_ok=True)
        if self._as_root:
            record = pwd.getpwnam(POSTGRES_USER)
            os.chown(self.socket_dir, record.pw_uid, record.pw_gid)
        self.port = self.port or free_port()
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if self.ephemeral:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(pgdata), "-o", options, "-l", str(self.data_dir / "postgres.log"), "-w", "-t", "30", "start")
        exists = self._run(
            "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", POSTGRES_USER, "-d", "postgres", "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{DEFAULT_DATABASE}'",
        )
        if exists.stdout.strip() != "1":
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", POSTGRES_USER, DEFAULT_DATABASE)
        return self.url()

    def stop(self) -> None:
        if self.pid_file.exists():
            self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "30", "stop")
