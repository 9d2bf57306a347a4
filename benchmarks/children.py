"""Benchmark children: each measurement runs in its own process on a fresh database of one backend."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"


def pg_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


def run_child(backend: str, pg_db: str, args: list[str], **extra_env: str) -> dict | None:
    """Run ``python -m benchmarks ARGS`` on a fresh SQLite file or PostgreSQL database (dropped
    afterwards) and return the JSON its last line prints; None when PostgreSQL is not there."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="ratecard.settings", DEBUG="true", **extra_env)
    tmp = tempfile.mkdtemp(prefix="ratecard-bench-")
    env["RATECARD_VAR_DIR"] = tmp
    env.pop("REDIS_URL", None)
    if backend == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    elif backend == "postgresql":
        if not pg_answers():
            print("postgresql: skipped (nothing answers on 127.0.0.1:5432)")
            return None
        _recreate(pg_db)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{pg_db}"
    else:
        raise SystemExit(f"unknown backend {backend!r}")
    try:
        proc = subprocess.run([sys.executable, "-m", "benchmarks", *args], env=env, capture_output=True, text=True,
                              check=False)
    finally:
        if backend == "postgresql":
            _recreate(pg_db, create=False)
    if proc.returncode != 0:
        print(proc.stderr[-3000:])
        raise SystemExit(f"{backend}: benchmark child failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _recreate(name: str, *, create: bool = True) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        if create:
            conn.execute(f"CREATE DATABASE {name}")
