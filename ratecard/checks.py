"""System checks for invariants the settings module cannot express alone."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register

import providers


@register()
def check_sources(app_configs, **kwargs):
    errors = []
    for slug in settings.COLLECT_SOURCES:
        if slug not in providers.REGISTRY:
            errors.append(
                Error(f"COLLECT_SOURCES names {slug!r}, which has no collector", id="ratecard.E001",
                      hint=f"Known sources: {', '.join(sorted(providers.REGISTRY))}")
            )
    return errors


@register(deploy=True)
def check_production_services(app_configs, **kwargs):
    warnings = []
    if not settings.DEBUG and settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        warnings.append(Warning("Production runs on SQLite; set DATABASE_URL to PostgreSQL", id="ratecard.W001"))
    if not settings.DEBUG and not settings.REDIS_URL:
        warnings.append(Warning("Production has no REDIS_URL; the filesystem broker is for one machine only",
                                id="ratecard.W002"))
    return warnings
