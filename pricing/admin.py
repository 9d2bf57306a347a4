from django.contrib import admin
from django.db.models import Count

from pricing.collection.held import confirm
from pricing.models import (
    ChangeEvent,
    CollectionRun,
    HeldQuote,
    Model,
    ModelAlias,
    Offer,
    PendingPrice,
    PricePeriod,
    Provider,
    QuoteRejection,
    Source,
)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "kind", "weight", "enabled")
    list_editable = ("weight", "enabled")


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "kind", "website")
    list_filter = ("kind",)
    search_fields = ("slug", "name")


class AliasInline(admin.TabularInline):
    model = ModelAlias
    extra = 0
    fields = ("source", "alias", "last_seen", "n_seen")


@admin.register(Model)
class ModelAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "author", "open_weights", "params_total_b", "params_active_b", "n_offers")
    list_filter = ("open_weights", "author")
    search_fields = ("slug", "name", "hf_id")
    inlines = [AliasInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_n_offers=Count("offers"))

    @admin.display(ordering="_n_offers", description="offers")
    def n_offers(self, obj):
        return obj._n_offers


class UnmatchedFilter(admin.SimpleListFilter):
    title = "mapping"
    parameter_name = "mapped"

    def lookups(self, request, model_admin):
        return [("no", "unmatched: needs a person"), ("yes", "mapped")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(model__isnull=True)
        if self.value() == "yes":
            return queryset.filter(model__isnull=False)
        return queryset


@admin.register(ModelAlias)
class ModelAliasAdmin(admin.ModelAdmin):
    """Unmatched source ids land here with no model; pick one to map them (the next run uses it)."""

    list_display = ("alias", "source", "model", "n_seen", "last_seen")
    list_filter = (UnmatchedFilter, "source")
    list_editable = ("model",)
    search_fields = ("alias",)
    autocomplete_fields = ("model",)
    ordering = ("model", "-n_seen")


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ("model", "provider", "variant", "quantization", "context_length", "status", "gone_at")
    list_filter = ("provider",)
    search_fields = ("model__slug", "provider__slug", "variant")
    list_select_related = ("model", "provider")
    raw_id_fields = ("current_period",)


@admin.register(PricePeriod)
class PricePeriodAdmin(admin.ModelAdmin):
    list_display = ("offer", "source", "input", "output", "price_kind", "valid_from", "valid_to", "last_seen")
    list_filter = ("source", "price_kind")
    list_select_related = ("offer__model", "offer__provider", "source")
    raw_id_fields = ("offer", "run", "payload")
    date_hierarchy = "valid_from"


@admin.register(PendingPrice)
class PendingPriceAdmin(admin.ModelAdmin):
    list_display = ("offer", "source", "input", "output", "first_seen")
    raw_id_fields = ("offer", "run", "payload")


@admin.register(HeldQuote)
class HeldQuoteAdmin(admin.ModelAdmin):
    """New models and offers over a run's cap: confirm the real ones, delete the rest."""

    list_display = ("provider_model_id", "provider", "source", "run", "created", "confirmed_at", "reason")
    list_filter = ("source", ("confirmed_at", admin.EmptyFieldListFilter))
    search_fields = ("provider_model_id", "provider")
    raw_id_fields = ("run",)
    readonly_fields = ("run", "source", "provider_model_id", "provider", "reason", "quote", "created", "confirmed_at")
    actions = ["confirm_held"]

    @admin.action(description="Confirm: create these models and offers and apply their prices")
    def confirm_held(self, request, queryset):
        runs = confirm(queryset)
        self.message_user(request, f"applied in {len(runs)} run(s): " + ", ".join(
            f"{run.source.slug} {run.status} (new {run.n_new})" for run in runs))


@admin.register(ChangeEvent)
class ChangeEventAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "offer", "source", "field", "notify")
    list_filter = ("kind", "source", "notify")
    list_select_related = ("offer__model", "offer__provider", "source")
    raw_id_fields = ("offer", "run", "period")


class RejectionInline(admin.TabularInline):
    model = QuoteRejection
    extra = 0
    can_delete = False
    readonly_fields = ("provider_model_id", "provider", "reason")


@admin.register(CollectionRun)
class CollectionRunAdmin(admin.ModelAdmin):
    """The table of runs: a stale or failing feed is visible here without reading logs."""

    list_display = ("source", "slot", "status", "trigger", "n_seen", "n_changed", "n_new", "n_rejected",
                    "n_pending", "n_unmatched", "n_held", "finished", "short_error")
    list_filter = ("status", "source", "trigger")
    date_hierarchy = "slot"
    inlines = [RejectionInline]

    @admin.display(description="error")
    def short_error(self, obj):
        return (obj.error or "")[:100]
