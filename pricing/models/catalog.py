"""What exists to be bought: providers, models, the ids sources use for them, and offers."""

from __future__ import annotations

from django.db import models

from pricing.models.querysets import OfferQuerySet, SourceQuerySet


class Source(models.Model):
    """Where prices come from (a collector, or a curated dataset in the bundled snapshot)."""

    class Kind(models.TextChoices):
        API = "api", "host's own API"
        AGGREGATOR = "aggregator", "aggregator"
        CURATED = "curated", "curated dataset"
        PROBE = "probe", "our own probes"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.API)
    url = models.URLField(blank=True)
    # How much a source is believed when two disagree about one offer: the host's own API over
    # an aggregator over a curated table.
    weight = models.PositiveSmallIntegerField(default=50)
    enabled = models.BooleanField(default=True)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @staticmethod
    def default_weight(kind: str) -> int:
        return {"api": 90, "aggregator": 60, "probe": 50, "curated": 30}.get(kind, 50)


class Provider(models.Model):
    class Kind(models.TextChoices):
        LAB = "lab", "first-party lab"
        HOST = "host", "host"
        AGGREGATOR = "aggregator", "aggregator"

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)  # provider-supplied: always escaped on output
    website = models.URLField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.HOST)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Model(models.Model):
    """A canonical model, keyed by OpenRouter's ``author/name`` slug."""

    slug = models.CharField(max_length=200, unique=True)
    name = models.CharField(max_length=300)
    author = models.CharField(max_length=100, db_index=True)
    open_weights = models.BooleanField(null=True)
    params_total_b = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    params_active_b = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    licence = models.CharField(max_length=100, blank=True)
    release_date = models.DateField(null=True, blank=True)
    hf_id = models.CharField(max_length=200, blank=True, db_index=True)
    context_length = models.PositiveIntegerField(null=True, blank=True)
    # First-party provider (the lab that made it), for the "first-party" comparison basis.
    first_party = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug

    @property
    def author_part(self) -> str:
        return self.slug.partition("/")[0]

    @property
    def name_part(self) -> str:
        return self.slug.partition("/")[2]


class ModelAlias(models.Model):
    """A source's own id for a model. ``model`` is null while no person has mapped it: unmatched
    ids are kept and listed in the admin, never dropped or guessed."""

    source = models.CharField(max_length=64, help_text="source slug, or * for every source")
    alias = models.CharField(max_length=300)
    model = models.ForeignKey(Model, null=True, blank=True, on_delete=models.CASCADE, related_name="aliases")
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    n_seen = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "alias"], name="pricing_alias_unique")]
        verbose_name_plural = "model aliases"

    def __str__(self) -> str:
        return f"{self.source}:{self.alias}"


class Offer(models.Model):
    """One way to buy a model: provider x model x variant (fp8, turbo, free, batch, region...)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="offers")
    model = models.ForeignKey(Model, on_delete=models.CASCADE, related_name="offers")
    variant = models.CharField(max_length=100, blank=True, default="")
    quantization = models.CharField(max_length=32, blank=True)
    context_length = models.PositiveIntegerField(null=True, blank=True)
    max_output = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=32, blank=True)
    provider_model_id = models.CharField(max_length=300, blank=True)
    first_seen = models.DateTimeField()
    # When a price of it was last seen lives on its periods (``current_period.last_seen``): one
    # row per sweep to touch, not two.
    # Set when every source that priced it has stopped listing it for several complete runs.
    gone_at = models.DateTimeField(null=True, blank=True)
    # Denormalised in the ingest transaction: the open period of the most trusted source, so
    # "current prices" is one join, not a subquery per offer.
    current_period = models.ForeignKey(
        "pricing.PricePeriod", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = OfferQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "model", "variant"], name="pricing_offer_unique")
        ]
        indexes = [
            # The model page lists a model's live offers.
            models.Index(fields=["model", "gone_at"], name="pricing_offer_model_live"),
        ]

    def __str__(self) -> str:
        variant = f" [{self.variant}]" if self.variant else ""
        return f"{self.model.slug} @ {self.provider.slug}{variant}"
