from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "pricing.alerts"
    label = "alerts"
    verbose_name = "Ratecard alerts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from pricing.alerts.tasks import on_prices_changed
        from pricing.signals import prices_changed

        prices_changed.connect(on_prices_changed, dispatch_uid="alerts.dispatch_on_prices_changed")
