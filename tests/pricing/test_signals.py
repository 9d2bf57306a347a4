"""The write path announces committed changes with pricing.signals.prices_changed; the cache and
the alerts app subscribe (ingest imports neither)."""

from __future__ import annotations

import pytest

from pricing.cache import generation
from pricing.collection.ingest import ingest
from pricing.signals import prices_changed
from tests.pricing.factories import T0, hours, models, quote, result, run, source

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    from pricing.alerts import tasks

    calls = []
    monkeypatch.setattr(tasks.dispatch_alerts, "delay", lambda: calls.append("dispatch"))
    return calls


def test_a_change_is_announced_after_commit_and_queues_alert_dispatch(queued, django_capture_on_commit_callbacks):
    src = source()
    models(2)
    heard = []

    def listener(sender, **kwargs):
        heard.append((kwargs["source"].slug, kwargs["run"].pk, kwargs["newsworthy"]))

    prices_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = run(src, T0)
            ingest(first, result([quote(0), quote(1)]), at=T0)
        first.status = "complete"
        first.save()
        assert heard == [("testsrc", first.pk, False)] and queued == []  # a baseline is not news
        before = generation()
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            second = run(src, T0 + hours(1))
            ingest(second, result([quote(0, input="1.5"), quote(1)]), at=T0 + hours(1))
            assert heard[-1][1] == first.pk  # nothing is announced before the commit
        assert len(callbacks) == 1
        assert heard[-1] == ("testsrc", second.pk, True)
        assert queued == ["dispatch"]
        assert generation() == before + 1
    finally:
        prices_changed.disconnect(listener)


def test_an_unchanged_sweep_announces_nothing(queued, django_capture_on_commit_callbacks):
    src = source()
    models(1)
    ingest(run(src, T0), result([quote(0)]), at=T0)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ingest(run(src, T0 + hours(1)), result([quote(0)]), at=T0 + hours(1))
    assert callbacks == [] and queued == []


def test_a_failing_receiver_does_not_undo_committed_prices(django_capture_on_commit_callbacks):
    src = source()
    models(1)

    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    prices_changed.connect(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            stats = ingest(run(src, T0), result([quote(0)]), at=T0)
    finally:
        prices_changed.disconnect(broken)
    assert stats.new == 1


def test_celery_finds_the_alert_task_under_its_old_name():
    from ratecard.celery import app

    app.loader.import_default_modules()
    assert "pricing.tasks.dispatch_alerts" in app.tasks
    assert app.tasks["pricing.tasks.dispatch_alerts"].__module__ == "pricing.alerts.tasks"
    assert "pricing.tasks.collect" in app.tasks
