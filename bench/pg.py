"""A throwaway PostgreSQL 15 cluster for a benchmark run, as `.ci/run` starts one: initdb and
pg_ctl as the postgres user on a free loopback port, removed again afterwards."""
import contextlib
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def as_postgres(*command):
    subprocess.run(["runuser", "-u", "postgres", "--", *map(str, command)], check=True, capture_output=True)


@contextlib.contextmanager
def throwaway_cluster():
    """Yields a postgresql:// URL to an empty database; stops and deletes the cluster on exit."""
    if not (PG_BIN / "initdb").exists():
        raise SystemExit("PostgreSQL 15 is not installed (apt-get install postgresql-15), or pass --database-url")
    folder = Path(tempfile.mkdtemp(prefix="studio-bench-pg-"))
    shutil.chown(folder, "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = folder / "data"
    as_postgres(PG_BIN / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
    as_postgres(PG_BIN / "pg_ctl", "-D", data, "-l", folder / "log", "-w", "-o",
                f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", "start")
    try:
        as_postgres(PG_BIN / "createdb", "-h", "127.0.0.1", "-p", port, "-U", "postgres", "bench")
        yield f"postgresql://postgres@127.0.0.1:{port}/bench"
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def database_url_or_throwaway(url):
    """The given URL as it is, or a throwaway cluster's."""
    return contextlib.nullcontext(url) if url else throwaway_cluster()
