"""Alias kept so `gunicorn pricing.wsgi` in existing deployments still works (now ratecard.wsgi)."""

from ratecard.wsgi import application

__all__ = ["application"]
