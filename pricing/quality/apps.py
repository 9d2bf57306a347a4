from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "pricing.quality"
    label = "quality"
    verbose_name = "Ratecard benchmark scores"
    default_auto_field = "django.db.models.BigAutoField"
