from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "pricing"
    verbose_name = "Ratecard pricing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ratecard import checks  # noqa: F401  (registers system checks)
