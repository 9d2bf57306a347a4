from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "pricing.alerts"
    label = "alerts"
    verbose_name = "Ratecard alerts"
    default_auto_field = "django.db.models.BigAutoField"
