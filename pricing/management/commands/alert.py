from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from rich.console import Console
from rich.table import Table

from pricing.alerts.forms import ChannelForm, RuleForm, parse_when
from pricing.alerts.models import Attempt, Channel, Rule

OPERATOR = "operator"


class Command(BaseCommand):
    help = "Alert rules from the command line: `alert add` creates one (owned by the operator user), `alert list` shows them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="create a rule")
        target = add.add_mutually_exclusive_group(required=True)
        target.add_argument("--webhook", help="URL to POST signed JSON to")
        target.add_argument("--email", help="address to email")
        add.add_argument("--model", help="model slug, e.g. deepseek/deepseek-r1")
        add.add_argument("--provider", help="provider slug, e.g. together")
        add.add_argument("--when", default="change", help="change | drop:PCT | rise:PCT | below:PRICE | above:PRICE")
        add.add_argument("--field", default="blended", choices=["input", "output", "blended"])
        add.add_argument("--digest", default="immediate", choices=["immediate", "hourly", "daily"])
        add.add_argument("--name", default="")
        sub.add_parser("list", help="show rules with their last delivery")

    def handle(self, *args, action, **options):
        if action == "add":
            self._add(**options)
        else:
            self._list()

    def _operator(self):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=OPERATOR, defaults={"is_active": True})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user

    @transaction.atomic
    def _add(self, *, webhook, email, model, provider, when, field, digest, name, **_):
        try:
            condition = parse_when(when)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        user = self._operator()
        kind, target = ("webhook", webhook) if webhook else ("email", email)
        channel = Channel.objects.filter(user=user, kind=kind, target=target).first()
        secret_note = ""
        if channel is None:
            form = ChannelForm({"kind": kind, "target": target}, user=user)
            if not form.is_valid():
                raise CommandError(_first_error(form))
            channel = form.save()
            if channel.needs_confirmation:
                # The operator at the server's shell vouches for the address; web and API users
                # confirm theirs through the emailed link (double opt-in).
                channel.confirmed_at = timezone.now()
                channel.save(update_fields=["confirmed_at"])
            if kind == "webhook":
                secret_note = f"\nwebhook signing secret (shown once): {channel.secret}"
        data = {"name": name, "model": model or "", "provider": provider or "", "price_field": field,
                "digest": digest, "mix": "3:1", "channels": [channel.pk], **condition}
        form = RuleForm(data, user=user)
        if not form.is_valid():
            raise CommandError(_first_error(form))
        rule = form.save()
        self.stdout.write(f"rule {rule.pk} created: {rule.describe()} -> {channel}{secret_note}")

    def _list(self):
        console = Console(file=self.stdout, force_terminal=False, width=160)
        table = Table(title="alert rules")
        for column in ("id", "owner", "rule", "channels", "digest", "state", "last delivery"):
            table.add_column(column)
        rules = Rule.objects.select_related("user", "model", "provider", "offer__model", "offer__provider",
                                            "source").prefetch_related("channels").order_by("id")
        for rule in rules:
            last = (
                Attempt.objects.filter(message__deliveries__rule=rule).order_by("-id")
                .only("at", "outcome", "status_code").first()
            )
            last_text = f"{last.at:%Y-%m-%d %H:%M} {last.outcome}" + (f" ({last.status_code})" if last.status_code else "") if last else "never"
            table.add_row(str(rule.pk), rule.user.username, rule.describe(),
                          ", ".join(str(c) for c in rule.channels.all()), rule.digest,
                          "paused" if rule.paused else "active", last_text)
        console.print(table)


def _first_error(form) -> str:
    for field, errors in form.errors.items():
        prefix = "" if field == "__all__" else f"{field}: "
        return prefix + str(errors[0])
    return "invalid input"
