"""Alias kept so `celery -A pricing` in existing deployments still finds the app (now ratecard.celery)."""

from ratecard.celery import app

__all__ = ["app"]
