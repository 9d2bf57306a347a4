from datetime import timedelta

from pricing.collection.schedule import beat_schedule


def test_every_source_has_a_beat_entry_at_its_own_interval(settings):
    settings.COLLECT_INTERVALS = {"openrouter": 60, "chutes": 360, "llm-prices": 1440}
    schedule = beat_schedule()
    assert schedule["collect-openrouter"]["schedule"] == timedelta(minutes=60)
    assert schedule["collect-chutes"]["schedule"] == timedelta(minutes=360)
    assert schedule["collect-llm-prices"]["args"] == ["llm-prices"]
    # A trigger older than its interval expires instead of piling up behind a stopped worker.
    assert schedule["collect-chutes"]["options"]["expires"] == 360 * 60
    assert {"reconcile-runs", "roll-up-performance", "dispatch-alerts"} <= schedule.keys()


def test_a_zero_interval_turns_a_source_off_and_probes_run_only_when_enabled(settings):
    settings.COLLECT_INTERVALS = {"openrouter": 0, "chutes": 360}
    settings.PROBES_ENABLED = False
    schedule = beat_schedule()
    assert "collect-openrouter" not in schedule and "collect-chutes" in schedule
    assert "run-probes" not in schedule
    settings.PROBES_ENABLED = True
    settings.PROBE_INTERVAL_MINUTES = 180
    assert beat_schedule()["run-probes"]["schedule"] == timedelta(minutes=180)
