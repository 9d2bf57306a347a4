from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "pricing"
    verbose_name = "Ratecard pricing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pricing.cache import on_prices_changed
        from pricing.signals import prices_changed
        from ratecard import checks  # noqa: F401  (registers system checks)

        prices_changed.connect(on_prices_changed, dispatch_uid="pricing.cache.bump_on_prices_changed")
