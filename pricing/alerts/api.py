"""The alerts JSON API: a personal token (``Authorization: Bearer <token>``) manages one's own
rules and channels. Mounted by the API module at /api/v1/alerts. Validation is the web forms'."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from ninja.security import HttpBearer

from pricing.api.schemas import ErrorOut

from . import outbox, tasks
from .forms import ChannelForm, RuleForm, initial_for
from .models import ApiToken, Channel, Rule


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        if not token or len(token) > 200:
            return None
        row = ApiToken.objects.select_related("user").filter(digest=ApiToken.hash(token)).first()
        if row is None or not row.user.is_active:
            return None
        now = timezone.now()
        if row.last_used is None or (now - row.last_used).total_seconds() > 60:
            ApiToken.objects.filter(pk=row.pk).update(last_used=now)
        request.user = row.user
        return row.user


router = Router(auth=TokenAuth(), tags=["alerts"])


class RuleIn(Schema):
    name: str = ""
    model: str = ""
    provider: str = ""
    variant: str = ""
    exact_offer: bool = False
    condition: str = "change"
    percent: str | None = None
    threshold: str | None = None
    price_field: str = "blended"
    mix: str = "3:1"
    attribute: str = ""
    source: str = ""
    stale_hours: int | None = None
    digest: str = "immediate"
    channels: list[int] = []
    paused: bool = False


class RulePatch(Schema):
    name: str | None = None
    model: str | None = None
    provider: str | None = None
    variant: str | None = None
    exact_offer: bool | None = None
    condition: str | None = None
    percent: str | None = None
    threshold: str | None = None
    price_field: str | None = None
    mix: str | None = None
    attribute: str | None = None
    source: str | None = None
    stale_hours: int | None = None
    digest: str | None = None
    channels: list[int] | None = None
    paused: bool | None = None


class RuleOut(Schema):
    id: int
    name: str
    description: str
    model: str | None
    provider: str | None
    variant: str | None
    condition: str
    percent: str | None
    threshold: str | None
    price_field: str
    mix: str
    attribute: str
    source: str | None
    stale_hours: int | None
    digest: str
    channels: list[int]
    paused: bool


class ChannelIn(Schema):
    kind: str
    name: str = ""
    target: str = ""


class ChannelOut(Schema):
    id: int
    kind: str
    name: str
    target: str
    enabled: bool
    # False for an email address until the link in its confirmation email is followed.
    confirmed: bool
    disabled_reason: str
    secret: str | None = None


class TestOut(Schema):
    status: str
    error: str


def rule_out(rule: Rule) -> dict:
    initial = initial_for(rule)
    return {
        "id": rule.pk,
        "name": rule.name,
        "description": rule.describe(),
        "model": initial["model"] or None,
        "provider": initial["provider"] or None,
        "variant": initial["variant"] if rule.offer_id else None,
        "condition": rule.condition,
        "percent": None if rule.percent is None else format(rule.percent.normalize(), "f"),
        "threshold": None if rule.threshold is None else format(rule.threshold.normalize(), "f"),
        "price_field": rule.price_field,
        "mix": initial["mix"],
        "attribute": rule.attribute,
        "source": initial["source"] or None,
        "stale_hours": rule.stale_hours,
        "digest": rule.digest,
        "channels": initial["channels"],
        "paused": rule.paused,
    }


def channel_out(channel: Channel, with_secret: bool = False) -> dict:
    return {
        "id": channel.pk,
        "kind": channel.kind,
        "name": channel.name,
        "target": channel.display_target,
        "enabled": channel.enabled,
        "confirmed": not channel.needs_confirmation,
        "disabled_reason": channel.disabled_reason,
        "secret": channel.secret if with_secret else None,
    }


def _form_data(payload: dict) -> dict:
    data = {k: v for k, v in payload.items() if v is not None and k != "channels"}
    for key in ("exact_offer", "paused"):
        if key in data and not data[key]:
            data.pop(key)  # an unchecked box is an absent key in form data
    return data


def _errors(form) -> Status:
    """The API's one error shape (pricing/api/schemas.ErrorOut), with a detail per field."""
    fields = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    first = next(iter(fields.items()), ("", ["invalid"]))
    message = f"{first[0]}: {first[1][0]}" if first[0] not in ("", "__all__") else first[1][0]
    details = [{"field": name, "messages": messages} for name, messages in fields.items()]
    return Status(400, {"error": {"code": "bad_parameter", "message": message, "details": details}})


def _rule_form(user, payload: dict, instance: Rule | None = None) -> RuleForm:
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for key, value in _form_data(payload).items():
        data[key] = "on" if value is True else str(value)
    for channel_id in payload.get("channels") or []:
        data.appendlist("channels", str(channel_id))
    return RuleForm(data, user=user, instance=instance)


LIMIT = Query(200, ge=1, le=500, description="most items per page")
OFFSET = Query(0, ge=0, le=1_000_000, description="items to skip")


@router.get("/rules", response=list[RuleOut])
def list_rules(request, limit: int = LIMIT, offset: int = OFFSET):
    """One's rules, oldest first, a page at a time (an account holds at most ALERTS_MAX_RULES_PER_USER)."""
    rules = Rule.objects.filter(user=request.auth).select_related("model", "provider", "offer__model",
                                                                  "offer__provider", "source").order_by("id")
    return [rule_out(r) for r in rules.prefetch_related("channels")[offset : offset + limit]]


@router.post("/rules", response={201: RuleOut, 400: ErrorOut})
def create_rule(request, payload: RuleIn):
    form = _rule_form(request.auth, payload.dict())
    if not form.is_valid():
        return _errors(form)
    return Status(201, rule_out(form.save()))


@router.get("/rules/{rule_id}", response=RuleOut)
def get_rule(request, rule_id: int):
    return rule_out(get_object_or_404(Rule, pk=rule_id, user=request.auth))


@router.patch("/rules/{rule_id}", response={200: RuleOut, 400: ErrorOut})
def update_rule(request, rule_id: int, payload: RulePatch):
    rule = get_object_or_404(Rule, pk=rule_id, user=request.auth)
    merged = initial_for(rule)
    merged["percent"] = None if rule.percent is None else str(rule.percent)
    merged["threshold"] = None if rule.threshold is None else str(rule.threshold)
    merged.update(payload.dict(exclude_unset=True))
    form = _rule_form(request.auth, merged, instance=rule)
    if not form.is_valid():
        return _errors(form)
    return Status(200, rule_out(form.save()))


@router.delete("/rules/{rule_id}", response={204: None})
def delete_rule(request, rule_id: int):
    get_object_or_404(Rule, pk=rule_id, user=request.auth).delete()
    return Status(204, None)


@router.get("/channels", response=list[ChannelOut])
def list_channels(request, limit: int = LIMIT, offset: int = OFFSET):
    return [channel_out(c) for c in Channel.objects.filter(user=request.auth).order_by("id")[offset : offset + limit]]


@router.post("/channels", response={201: ChannelOut, 400: ErrorOut})
def create_channel(request, payload: ChannelIn):
    form = ChannelForm(payload.dict(), user=request.auth)
    if not form.is_valid():
        return _errors(form)
    channel = form.save()
    if channel.needs_confirmation:
        tasks.queue(outbox.request_confirmation(channel))
    # The webhook secret and feed token are shown in this response only.
    return Status(201, channel_out(channel, with_secret=True))


@router.delete("/channels/{channel_id}", response={204: None})
def delete_channel(request, channel_id: int):
    get_object_or_404(Channel, pk=channel_id, user=request.auth).delete()
    return Status(204, None)


def _test_out(message) -> dict:
    return {"status": message.status, "error": message.last_error}


@router.post("/channels/{channel_id}/test", response={200: TestOut, 429: ErrorOut})
def test_channel(request, channel_id: int):
    """Queue a test message to the channel. The answer says where it stands now (``pending`` until a
    worker has sent it); GET the same path for its result later. Limited per user per hour."""
    channel = get_object_or_404(Channel, pk=channel_id, user=request.auth)
    refusal = outbox.test_refusal(channel)
    if refusal:
        return Status(429, {"error": {"code": "throttled", "message": refusal}})
    message = outbox.new_test(channel)
    tasks.queue(message)
    message.refresh_from_db()
    return _test_out(message)


@router.get("/channels/{channel_id}/test", response={200: TestOut})
def last_test(request, channel_id: int):
    """The result of the channel's newest test (``none`` if it never had one)."""
    channel = get_object_or_404(Channel, pk=channel_id, user=request.auth)
    message = outbox.latest_tests([channel]).get(channel.pk)
    return _test_out(message) if message else {"status": "none", "error": ""}
