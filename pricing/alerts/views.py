"""Alert pages: sign-up, the alerts page (rules, channels, tokens), feeds and unsubscribe."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from pricing.api.http import client_address

from . import outbox, tasks
from .forms import ChannelForm, RuleForm, SignupForm, TokenForm
from .models import ApiToken, Attempt, Channel, Message, Rule, new_feed_token

FEED_SIZE = 50
PREFILL = ("model", "provider", "variant", "condition", "price_field", "threshold", "mix", "attribute")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("alerts:index")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _signup_allowed(request):
            return render(request, "pricing/error.html", {"title": "Too many sign-ups", "message": (
                "Too many accounts were made from this address in the last hour; try again later.")}, status=429)
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome. Add a channel, then a rule.")
        return redirect(_next(request) or "alerts:index")
    return render(request, "registration/signup.html", {"form": form, "next": _next(request)},
                  status=400 if form.errors else 200)


def _next(request: HttpRequest) -> str:
    """Where to go back to ("alert me" on a model page -> sign up -> the prefilled rule form);
    only a path on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                         require_https=request.is_secure())
    return target if ok and target.startswith("/") else ""


def _signup_allowed(request: HttpRequest) -> bool:
    """At most SIGNUPS_PER_HOUR accounts per client address per clock hour (the per-account limits
    on channels and test sends would mean little if accounts were free in bulk)."""
    limit = settings.SIGNUPS_PER_HOUR
    if limit <= 0:
        return True
    key = f"ratecard:signups:{client_address(request)}:{int(time.time() // 3600)}"
    cache.add(key, 0, timeout=3700)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3700)
        return True


def _page(request: HttpRequest, **extra) -> HttpResponse:
    user = request.user
    rules = Rule.objects.filter(user=user).select_related("model", "provider", "offer__model", "offer__provider",
                                                           "source").prefetch_related("channels")
    channels = list(Channel.objects.filter(user=user))
    tests = outbox.latest_tests(channels)
    for channel in channels:
        channel.last_test = tests.get(channel.pk)
    recent = (
        Attempt.objects.filter(message__channel__user=user)
        .select_related("message__channel").order_by("-id")[:20]
    )
    context = {
        "rules": rules,
        "channels": channels,
        "disabled": [c for c in channels if not c.enabled and c.disabled_reason],
        "tokens": ApiToken.objects.filter(user=user).order_by("-id"),
        "recent": recent,
        "rule_form": extra.pop("rule_form", None) or RuleForm(user=user),
        "channel_form": extra.pop("channel_form", None) or ChannelForm(user=user),
        "token_form": TokenForm(),
        # While a test is on its way the page reloads itself to show the result (no script needed).
        "test_pending": any(t.status == Message.Status.PENDING and not t.attempts
                            and timezone.now() - t.created < outbox.lease() for t in tests.values()),
        **extra,
    }
    return render(request, "alerts/index.html", context, status=400 if extra.get("invalid") else 200)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _quick_channel(request: HttpRequest, kind: str) -> Channel | None:
    """A first rule may bring its own channel: a private feed, or email to the account's address."""
    if kind == Channel.Kind.FEED:
        return Channel.objects.create(user=request.user, kind=kind, secret=new_feed_token(), name="my feed")
    if kind == Channel.Kind.EMAIL and request.user.email:
        return Channel.objects.create(user=request.user, kind=kind, target=request.user.email)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def rule_new(request: HttpRequest) -> HttpResponse:
    # "Alert me" on a model or provider page links here with the scope filled in (?model=…).
    prefill = {k: request.GET[k][:200] for k in PREFILL if request.GET.get(k)}
    has_channels = Channel.objects.filter(user=request.user).exists()
    context = {"rule": None, "has_channels": has_channels}
    if request.method != "POST":
        context["form"] = RuleForm(user=request.user, initial=prefill)
        return render(request, "alerts/rule_form.html", context)
    with transaction.atomic():
        data = request.POST.copy()
        quick = None if has_channels else _quick_channel(request, data.get("quick_channel", ""))
        if quick is not None:
            data.setlist("channels", [str(quick.pk)])
        form = RuleForm(data, user=request.user)
        if form.is_valid():
            rule = form.save()
            messages.success(request, f"Rule created: {rule.describe()}")
            if quick is not None and quick.kind == Channel.Kind.FEED:
                messages.info(request, f"Your private feed: {request.build_absolute_uri(quick.display_target)}")
            return redirect("alerts:index")
        transaction.set_rollback(True)  # no channel left behind by a rule that was not saved
    messages.error(request, "The rule was not saved: see the errors below.")
    context["form"] = form
    return render(request, "alerts/rule_form.html", context, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk, user=request.user)
    form = RuleForm(request.POST or None, user=request.user, instance=rule)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Rule saved.")
            return redirect("alerts:index")
        messages.error(request, "The rule was not saved: see the errors below.")
        return render(request, "alerts/rule_form.html", {"form": form, "rule": rule}, status=400)
    return render(request, "alerts/rule_form.html", {"form": form, "rule": rule})


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Rule, pk=pk, user=request.user).delete()
    messages.success(request, "Rule deleted.")
    return redirect("alerts:index")


@login_required
@require_POST
def rule_pause(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(Rule, pk=pk, user=request.user)
    rule.paused = not rule.paused
    rule.save(update_fields=["paused"])
    messages.success(request, "Rule paused." if rule.paused else "Rule resumed.")
    return redirect("alerts:index")


@login_required
@require_POST
def channel_new(request: HttpRequest) -> HttpResponse:
    form = ChannelForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, "The channel was not added: see the errors below.")
        return _page(request, channel_form=form, invalid=True)
    channel = form.save()
    messages.success(request, f"Channel added: {channel}")
    if channel.needs_confirmation:
        tasks.queue(outbox.request_confirmation(channel))
        messages.info(request, f"We sent a confirmation link to {channel.target}; the channel sends nothing else "
                               "until it is followed.")
    if channel.kind in (Channel.Kind.WEBHOOK, Channel.Kind.FEED):
        # The secret is shown now and never again (the feed URL stays listed: it is the address).
        return render(request, "alerts/secret.html", {"channel": channel, "feed_url": request.build_absolute_uri(
            channel.display_target) if channel.kind == Channel.Kind.FEED else ""})
    return redirect("alerts:index")


@login_required
@require_POST
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(Channel, pk=pk, user=request.user).delete()
    messages.success(request, "Channel deleted.")
    return redirect("alerts:index")


@login_required
@require_POST
def channel_enable(request: HttpRequest, pk: int) -> HttpResponse:
    Channel.objects.filter(pk=pk, user=request.user).update(enabled=True, disabled_at=None, disabled_reason="")
    messages.success(request, "Channel enabled again.")
    return redirect("alerts:index")


@login_required
@require_POST
def channel_test(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue a test to the worker (a slow receiver must never hold a web process) and come back to
    the alerts page, which shows the stored result when it arrives."""
    channel = get_object_or_404(Channel, pk=pk, user=request.user)
    refusal = outbox.test_refusal(channel)
    if refusal:
        messages.error(request, refusal)
        return redirect("alerts:index")
    message = outbox.new_test(channel)
    tasks.queue(message)
    message.refresh_from_db()  # a worker (or eager Celery) may have sent it already
    if message.status == Message.Status.SENT:
        messages.success(request, f"Test sent to {channel}.")
    elif message.attempts:
        messages.error(request, f"Test to {channel} failed: {message.last_error or 'will retry'}")
    else:
        messages.info(request, f"Test queued for {channel}: its result shows below when it arrives.")
    return redirect("alerts:index")


@login_required
@require_POST
def channel_resend_confirmation(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=pk, user=request.user, kind=Channel.Kind.EMAIL)
    refusal = outbox.confirmation_refusal(channel)
    if refusal:
        messages.error(request, refusal)
    else:
        tasks.queue(outbox.request_confirmation(channel))
        messages.success(request, f"A confirmation link is on its way to {channel.target}.")
    return redirect("alerts:index")


@require_http_methods(["GET", "POST"])
def channel_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in a confirmation email. GET shows a button (mail scanners follow links); POST
    confirms the address, after which the channel receives alerts."""
    channel = outbox.check_confirm_token(token)
    if channel is None:
        return render(request, "alerts/confirm.html", {"invalid": True}, status=400)
    if request.method == "POST":
        Channel.objects.filter(pk=channel.pk, confirmed_at__isnull=True).update(confirmed_at=timezone.now())
        return render(request, "alerts/confirm.html", {"done": True, "channel": channel})
    return render(request, "alerts/confirm.html", {"channel": channel})


@login_required
@require_POST
def token_new(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    name = form.cleaned_data["name"] if form.is_valid() else ""
    token, secret = ApiToken.issue(request.user, name)
    return render(request, "alerts/token.html", {"token": token, "secret": secret})


@login_required
@require_POST
def token_delete(request: HttpRequest, pk: int) -> HttpResponse:
    ApiToken.objects.filter(pk=pk, user=request.user).delete()
    messages.success(request, "Token revoked.")
    return redirect("alerts:index")


def feed(request: HttpRequest, token: str) -> HttpResponse:
    channel = Channel.objects.filter(kind=Channel.Kind.FEED, secret=token).first()
    if channel is None or not token:
        raise Http404("no such feed")
    items = []
    for message in Message.objects.filter(channel=channel, status=Message.Status.SENT).order_by("-sent_at")[:FEED_SIZE]:
        content = outbox.render(message)
        items.append({"message": message, "content": content})
    response = render(request, "alerts/feed.atom", {"channel": channel, "items": items, "updated": (
        items[0]["message"].sent_at if items else channel.created), "now": timezone.now()},
        content_type="application/atom+xml; charset=utf-8")
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        data = signing.loads(token, salt=outbox.SIGNER_SALT)
        channel = Channel.objects.get(pk=data["c"], kind=Channel.Kind.EMAIL)
    except (signing.BadSignature, KeyError, TypeError, Channel.DoesNotExist):
        return render(request, "alerts/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "POST":
        outbox.disable_channel(channel, "unsubscribed by the link in an email")
        return render(request, "alerts/unsubscribe.html", {"done": True, "channel": channel})
    return render(request, "alerts/unsubscribe.html", {"channel": channel})
