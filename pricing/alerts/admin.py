from django.contrib import admin

from .models import ApiToken, Attempt, Channel, Delivery, Message, Rule


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "__str__", "digest", "paused", "created")
    list_filter = ("condition", "digest", "paused")
    raw_id_fields = ("model", "provider", "offer", "source")


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "kind", "name", "enabled", "disabled_reason")
    list_filter = ("kind", "enabled")
    exclude = ("secret",)


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    readonly_fields = ("at", "outcome", "status_code", "duration_ms", "response", "error")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "channel", "key", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status",)
    inlines = [AttemptInline]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "rule", "channel", "key", "summary", "created")
    raw_id_fields = ("rule", "event", "channel", "message")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "prefix", "name", "created", "last_used")
    exclude = ("digest",)
