"""Forms for rules, channels and sign-up. The JSON API validates through the same forms."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.core.validators import validate_email

from pricing.models import Model, Offer, Provider, Source
from pricing.queries import QueryError, parse_id, parse_mix

from . import netguard, outbox
from .models import Channel, Rule, new_feed_token, new_webhook_secret

C = Rule.Condition
NEEDS_PERCENT = {C.DROP, C.RISE}
NEEDS_THRESHOLD = {C.BELOW, C.ABOVE}
NEEDS_MODEL = {C.CHEAPEST}


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="optional; your email channel can use it")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")


LABELS = {
    "name": "Name (optional)", "model": "Model", "provider": "Provider", "variant": "Variant",
    "exact_offer": "Only this exact offer", "condition": "Condition", "price_field": "Which price",
    "mix": "Input:output mix", "threshold": "Threshold (USD / M tokens)", "percent": "Percent",
    "attribute": "Which attribute", "source": "Source", "stale_hours": "Stale after (hours)", "digest": "Send",
}


class ChannelChoiceField(forms.ModelMultipleChoiceField):
    """Channel ids checked for shape and range before they reach the database (SQLite raises
    OverflowError on an id beyond 64 bits instead of finding nothing)."""

    def _check_values(self, value):
        for pk in value:
            try:
                parse_id(pk, "channel")
            except QueryError:
                raise forms.ValidationError(self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                                            params={"pk": str(pk)[:24]}) from None
        return super()._check_values(value)


class RuleForm(forms.Form):
    name = forms.CharField(max_length=200, required=False)
    # Slugs underneath (the JSON API sends them), picked by name from a list on the page.
    model = forms.CharField(max_length=200, required=False, widget=forms.Select,
                            help_text="empty: every model (narrow it with a provider)")
    provider = forms.CharField(max_length=64, required=False, widget=forms.Select,
                               help_text="empty: every host of the model")
    variant = forms.CharField(max_length=100, required=False,
                              help_text="with model and provider: watch exactly this offer (e.g. fp8)")
    exact_offer = forms.BooleanField(required=False, help_text="watch only the offer of this model at this provider")
    condition = forms.ChoiceField(choices=C.choices, initial=C.CHANGE)
    percent = forms.DecimalField(required=False, min_value=Decimal("0.01"), max_value=Decimal("100000"),
                                 decimal_places=2, help_text="for drop/rise: at least this many percent")
    threshold = forms.DecimalField(required=False, min_value=Decimal("0"), max_value=Decimal("5000"),
                                   decimal_places=10, help_text="for below/above: USD per million tokens")
    price_field = forms.ChoiceField(choices=Rule.Field.choices, initial=Rule.Field.BLENDED)
    mix = forms.CharField(max_length=20, required=False, initial="3:1", help_text="input:output tokens for blended")
    attribute = forms.ChoiceField(choices=Rule.Attribute.choices, required=False,
                                  help_text="for attribute-change rules: which attribute")
    source = forms.CharField(max_length=64, required=False, widget=forms.Select,
                             help_text="for stale-source rules: which source (empty: any)")
    stale_hours = forms.IntegerField(required=False, min_value=1, max_value=24 * 90)
    digest = forms.ChoiceField(choices=Rule.Digest.choices, initial=Rule.Digest.IMMEDIATE)
    channels = ChannelChoiceField(queryset=Channel.objects.none(), widget=forms.CheckboxSelectMultiple)
    paused = forms.BooleanField(required=False)

    def __init__(self, *args, user, instance: Rule | None = None, **kwargs):
        self.user = user
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(instance)
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = Channel.objects.filter(user=user)
        for name, label in LABELS.items():
            self.fields[name].label = label
        # The pickers: every model and provider by name (a few hundred rows, one query each).
        self.fields["model"].widget.choices = [("", "any model")] + [
            (slug, f"{name} ({slug})") for slug, name in Model.objects.order_by("name").values_list("slug", "name")]
        self.fields["source"].widget.choices = [("", "any source")] + list(
            Source.objects.order_by("name").values_list("slug", "name"))
        self.fields["provider"].widget.choices = [("", "any provider")] + [
            (slug, name) for slug, name in Provider.objects.order_by("name").values_list("slug", "name")]

    def clean_model(self):
        slug = self.cleaned_data["model"].strip()
        if not slug:
            return None
        model = Model.objects.filter(slug__iexact=slug).first()
        if model is None:
            raise forms.ValidationError(f"No model with the slug {slug!r}.")
        return model

    def clean_provider(self):
        slug = self.cleaned_data["provider"].strip()
        if not slug:
            return None
        provider = Provider.objects.filter(slug__iexact=slug).first()
        if provider is None:
            raise forms.ValidationError(f"No provider with the slug {slug!r}.")
        return provider

    def clean_source(self):
        slug = self.cleaned_data["source"].strip()
        if not slug:
            return None
        source = Source.objects.filter(slug=slug).first()
        if source is None:
            raise forms.ValidationError(f"No source with the slug {slug!r}.")
        return source

    def clean_mix(self):
        try:
            return parse_mix(self.cleaned_data["mix"].strip() or "3:1")
        except QueryError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        data = super().clean()
        limit = settings.ALERTS_MAX_RULES_PER_USER
        if self.instance is None and Rule.objects.filter(user=self.user).count() >= limit:
            raise forms.ValidationError(f"You have {limit} rules, the most one account may have; delete one first.")
        condition = data.get("condition")
        model, provider = data.get("model"), data.get("provider")
        if condition in NEEDS_PERCENT and data.get("percent") is None:
            self.add_error("percent", "A drop or rise rule needs a percentage.")
        if condition in NEEDS_THRESHOLD and data.get("threshold") is None:
            self.add_error("threshold", "A below or above rule needs a price threshold.")
        if condition in NEEDS_MODEL and not model:
            self.add_error("model", "A cheapest-offer rule watches one model: give its slug.")
        if condition == C.STALE and not data.get("stale_hours"):
            self.add_error("stale_hours", "A stale-source rule needs a number of hours.")
        data["offer"] = None
        if (data.get("exact_offer") or data.get("variant")) and not self.errors:
            if not (model and provider):
                self.add_error("variant", "Watching one offer needs both a model and a provider.")
            else:
                offer = Offer.objects.filter(model=model, provider=provider, variant=data.get("variant") or "").first()
                if offer is None:
                    self.add_error("variant", f"{provider.slug} has no offer of {model.slug} with that variant.")
                data["offer"] = offer
        return data

    def save(self) -> Rule:
        data = self.cleaned_data
        rule = self.instance or Rule(user=self.user)
        rule.name = data["name"]
        rule.model = data["model"]
        rule.provider = data["provider"]
        rule.offer = data["offer"]
        rule.source = data["source"]
        rule.condition = data["condition"]
        rule.percent = data["percent"] if data["condition"] in NEEDS_PERCENT else None
        rule.threshold = data["threshold"] if data["condition"] in NEEDS_THRESHOLD else None
        rule.price_field = data["price_field"]
        rule.mix_input, rule.mix_output = data["mix"]
        rule.stale_hours = data["stale_hours"] if data["condition"] == C.STALE else None
        rule.attribute = (data.get("attribute") or "") if data["condition"] == C.SILENT else ""
        rule.digest = data["digest"]
        rule.paused = data["paused"]
        rule.save()
        rule.channels.set(data["channels"])
        return rule


def initial_for(rule: Rule) -> dict:
    return {
        "name": rule.name,
        "model": rule.model.slug if rule.model_id else "",
        "provider": rule.provider.slug if rule.provider_id else "",
        "variant": rule.offer.variant if rule.offer_id else "",
        "exact_offer": bool(rule.offer_id),
        "condition": rule.condition,
        "percent": rule.percent,
        "threshold": rule.threshold,
        "price_field": rule.price_field,
        "mix": f"{rule.mix_input}:{rule.mix_output}",
        "attribute": rule.attribute,
        "source": rule.source.slug if rule.source_id else "",
        "stale_hours": rule.stale_hours,
        "digest": rule.digest,
        "channels": list(rule.channels.values_list("pk", flat=True)) if rule.pk else [],
        "paused": rule.paused,
    }


class ChannelForm(forms.Form):
    kind = forms.ChoiceField(choices=Channel.Kind.choices)
    name = forms.CharField(max_length=100, required=False)
    target = forms.CharField(max_length=2000, required=False, help_text="email address or URL")

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        limit = settings.ALERTS_MAX_CHANNELS_PER_USER
        if Channel.objects.filter(user=self.user).count() >= limit:
            raise forms.ValidationError(f"You have {limit} channels, the most one account may have; delete one first.")
        kind = data.get("kind")
        target = (data.get("target") or "").strip()
        if kind == Channel.Kind.EMAIL:
            try:
                validate_email(target)
            except forms.ValidationError:
                self.add_error("target", "Enter a valid email address.")
            if "\n" in target or "\r" in target:
                self.add_error("target", "Enter a valid email address.")
            refusal = outbox.confirmation_refusal(None, self.user.pk, address=target)
            if refusal:
                self.add_error("target", refusal)
        elif kind in (Channel.Kind.WEBHOOK, Channel.Kind.SLACK, Channel.Kind.DISCORD):
            try:
                netguard.check_url(target)
            except netguard.BlockedAddress as exc:
                self.add_error("target", f"This URL cannot be used: {exc}.")
        elif kind == Channel.Kind.FEED:
            target = ""
            if Channel.objects.filter(user=self.user, kind=Channel.Kind.FEED).exists():
                self.add_error("kind", "You already have a feed.")
        data["target"] = target
        return data

    def save(self) -> Channel:
        data = self.cleaned_data
        channel = Channel(user=self.user, kind=data["kind"], name=data["name"], target=data["target"])
        if channel.kind == Channel.Kind.WEBHOOK:
            channel.secret = new_webhook_secret()
        elif channel.kind == Channel.Kind.FEED:
            channel.secret = new_feed_token()
        channel.save()
        return channel


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, required=False)


def parse_when(text: str) -> dict:
    """The command line's ``--when change|drop:PCT|rise:PCT|below:PRICE|above:PRICE``."""
    kind, _, value = text.partition(":")
    kind = kind.strip().lower()
    if kind == "change" and not value:
        return {"condition": C.CHANGE}
    if kind in ("drop", "rise", "below", "above") and value:
        try:
            number = Decimal(value.rstrip("%"))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
        if not number.is_finite():
            raise ValueError(f"{value!r} is not a finite number")
        key = "percent" if kind in ("drop", "rise") else "threshold"
        return {"condition": kind, key: str(number)}
    raise ValueError(f"--when must be change, drop:PCT, rise:PCT, below:PRICE or above:PRICE, not {text!r}")
