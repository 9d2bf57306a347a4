"""Backup and restore: pg_dump, drop everything, restore, and ingestion carries on unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from django.db import connection, connections

from pricing.collection.ingest import ingest
from pricing.collection.snapshot import load
from pricing.models import ChangeEvent, CollectionRun, Offer, PricePeriod, RawPayload
from tests.pricing.factories import T0, hours, models, quote, result, run, source

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="needs pg_dump and pg_restore"),
]


def counts() -> tuple:
    return tuple(m.objects.count() for m in (Offer, PricePeriod, ChangeEvent, CollectionRun, RawPayload))


def test_a_restored_dump_has_the_same_history_and_ingestion_stays_idempotent(tmp_path):
    load()
    src = source()
    models(5)
    ingest(run(src, T0), result([quote(i) for i in range(5)]), at=T0)
    before = counts()
    db = connection.settings_dict
    env = dict(os.environ, PGHOST=db["HOST"] or "127.0.0.1", PGPORT=str(db["PORT"] or 5432), PGUSER=db["USER"])
    dump = tmp_path / "ratecard.dump"
    connections.close_all()
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), db["NAME"]], env=env, check=True)
    subprocess.run(["psql", "-q", "-d", db["NAME"], "-c", "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"],
                   env=env, check=True, capture_output=True)
    assert subprocess.run(["psql", "-tA", "-d", db["NAME"], "-c", "SELECT count(*) FROM pg_tables WHERE "
                           "schemaname = 'public'"], env=env, capture_output=True, text=True).stdout.strip() == "0"
    subprocess.run(["pg_restore", "-d", db["NAME"], str(dump)], env=env, check=True)

    assert counts() == before
    stats = ingest(run(src, T0 + hours(1)), result([quote(i) for i in range(5)]), at=T0 + hours(1))
    assert (stats.new, stats.changed) == (0, 0)
    # Sequences came back too: a new offer and a change insert without colliding.
    models(6)
    stats = ingest(run(src, T0 + hours(2)), result([quote(i) for i in range(6)] + [quote(0, input="2", provider="x")]),
                   at=T0 + hours(2))
    assert stats.new == 2
    assert counts()[0] == before[0] + 2
