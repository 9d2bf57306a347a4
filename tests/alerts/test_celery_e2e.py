"""End to end: a saved OpenRouter catalogue with a changed price is ingested here, and a real
Celery worker (Redis broker, PostgreSQL) delivers the signed webhook to a receiver on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from celery import Celery
from django.core.management import call_command
from django.db import connection
from standardwebhooks.webhooks import Webhook

from pricing.alerts.models import Channel, Rule, new_webhook_secret
from pricing.models import ChangeEvent

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BROKER = "redis://127.0.0.1:6379/14"
ROOT = Path(__file__).resolve().parents[2]


def catalogue(r1_prompt: str) -> dict:
    """The shape of OpenRouter's /api/v1/models, prices in USD per token as strings."""
    return {
        "data": [
            {"id": "deepseek/deepseek-r1", "name": "DeepSeek: R1", "context_length": 163840,
             "pricing": {"prompt": r1_prompt, "completion": "0.00000219"}},
            {"id": "meta-llama/llama-3.3-70b-instruct", "name": "Meta: Llama 3.3 70B Instruct",
             "context_length": 131072, "pricing": {"prompt": "0.00000013", "completion": "0.0000004"}},
            {"id": "qwen/qwen-2.5-72b-instruct", "name": "Qwen2.5 72B Instruct", "context_length": 32768,
             "pricing": {"prompt": "0.00000035", "completion": "0.0000004"}},
        ]
    }


def database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.fixture
def worker(tmp_path):
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": BROKER,
        "ALERTS_ALLOW_PRIVATE_WEBHOOKS": "true",
        "DJANGO_SETTINGS_MODULE": "ratecard.settings",
        "RATECARD_VAR_DIR": str(tmp_path / "var"),
        "DB_CONN_MAX_AGE": "0",
    }
    log = open(tmp_path / "worker.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ratecard", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    yield proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    log.close()
    if getattr(worker, "dump", False):
        print((tmp_path / "worker.log").read_text()[-4000:])


@pytest.fixture
def trigger_via_redis(monkeypatch):
    """The test process's own Celery app is set up for the file broker; send ingestion's
    on-commit trigger to the Redis broker the worker listens on instead."""
    from pricing.alerts import tasks

    sender = Celery("sender", broker=BROKER)
    sender.conf.update(task_serializer="json", accept_content=["json"])
    sent = []

    def delay(*args, **kwargs):
        sent.append(sender.send_task("pricing.tasks.dispatch_alerts"))

    monkeypatch.setattr(tasks.dispatch_alerts, "delay", delay)
    yield sent
    sender.close()


def live(path: Path, at: datetime) -> None:
    """A saved body applied as a live run is (the one apply step, notify on)."""
    import providers
    from pricing.collection import archive, payloads, runs
    from providers.base import Payload

    body = path.read_bytes()
    run, _ = runs.create_run("openrouter", slot=at, trigger="test")
    claimed = runs.claim(run.pk)
    payload = Payload(url=f"file://{path}", body=body, fetched_at=at, kind=archive.guess_kind("openrouter", body))
    payloads.apply(claimed, payloads.receive(claimed, [payload]), providers.get_collector("openrouter"), at=at)


def test_a_changed_price_reaches_the_webhook_through_a_real_worker(tmp_path, worker, trigger_via_redis, receiver,
                                                                      django_user_model):
    first, second = tmp_path / "models-1.json", tmp_path / "models-2.json"
    first.write_text(json.dumps(catalogue("0.00000055")))
    second.write_text(json.dumps(catalogue("0.00000045")))
    call_command("collect", "openrouter", "--from-file", str(first), "--at", "2026-03-01T00:00:00Z")

    user = django_user_model.objects.create_user("ops", password="a-long-enough-pass-1")
    hook = Channel.objects.create(user=user, kind="webhook", target=receiver.url(), secret=new_webhook_secret())
    rule = Rule.objects.create(user=user, condition="drop", percent=10, price_field="input")
    rule.channels.set([hook])

    # `collect --from-file` replays history and alerts nobody: the second sweep arrives as a live
    # run does (the same apply step, notify on).
    live(second, datetime(2026, 3, 1, 1, tzinfo=UTC))
    event = ChangeEvent.objects.get(kind="price", notify=True)
    assert event.offer.model.slug == "deepseek/deepseek-r1"
    assert trigger_via_redis, "ingestion did not queue the dispatcher on commit"

    deadline = time.monotonic() + 30
    while not receiver.requests and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.2)
    assert worker.poll() is None, "the worker died"
    assert len(receiver.requests) == 1
    body = Webhook(hook.secret).verify(receiver.requests[0].body, receiver.requests[0].headers)
    item = body["data"]["items"][0]
    assert (item["model"], item["old"]["input"], item["new"]["input"]) == ("deepseek/deepseek-r1", "0.55", "0.45")


@pytest.fixture
def short_deadline(monkeypatch):
    monkeypatch.setenv("ALERTS_SEND_DEADLINE_SECONDS", "1.5")  # read by the worker started next


def test_a_send_test_press_is_sent_by_the_worker_while_the_web_answers(short_deadline, worker, client,
                                                                         django_user_model):
    """The "send test" button only queues: a real worker sends to a receiver that drips its answer,
    and cuts it at the deadline; the web answers meanwhile and the page shows the stored result."""
    from pricing.alerts import tasks
    from pricing.alerts.models import Message
    from tests.alerts.receiver import DripReceiver

    sender = Celery("sender", broker=BROKER)
    sender.conf.update(task_serializer="json", accept_content=["json"])
    drip = DripReceiver(interval=0.2).start()
    original = tasks.send_message.delay
    tasks.send_message.delay = lambda message_id: sender.send_task("pricing.alerts.tasks.send_message",
                                                                   args=[message_id])
    try:
        user = django_user_model.objects.create_user("ops", password="a-long-enough-pass-1")
        hook = Channel.objects.create(user=user, kind="webhook", target=drip.url(), secret=new_webhook_secret())
        client.force_login(user)
        response = client.post(f"/alerts/channels/{hook.pk}/test/", follow=True)
        assert "Test queued" in response.content.decode()
        deadline = time.monotonic() + 30
        while not drip.ids and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.05)
        assert drip.ids, "the worker did not send the test"
        assert client.get("/healthz").status_code == 200  # while the worker's send is live
        message = Message.objects.get(channel=hook)
        while message.attempts == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
            message.refresh_from_db()
        assert worker.poll() is None, "the worker died"
        assert message.attempts == 1 and "deadline exceeded" in message.last_error
        assert "deadline exceeded" in client.get("/alerts/").content.decode()
        assert len(drip.ids) == 1
    finally:
        tasks.send_message.delay = original
        drip.stop()
        sender.close()
