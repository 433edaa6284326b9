"""Which notifiers a run uses: ``--notify`` targets and the ``notifiers:`` section of a config file.

A config file (``--notify-config FILE``; by default ``rootwatch.yaml`` beside the mod, else in the
user's configuration directory) names notifiers, each with its own level, filters and target::

    notifiers:
      oncall:
        type: email
        level: info                       # error | info | verbose
        where: "severity in ('high', 'critical')"
        host: smtp.example.com
        port: 587                         # STARTTLS; tls: implicit for 465
        username: alerts@example.com
        password_env: ROOTWATCH_SMTP_PASSWORD
        from: rootwatch@example.com
        to: [secops@example.com, cloud@example.com]
        attach_csv: true
      chat:
        type: slack
        url_env: SLACK_WEBHOOK_URL
        level: error

``--notify NAME`` picks a notifier of the file; ``--notify KIND:TARGET`` (or an ``smtp://`` /
``smtps://`` URL) defines one on the command line, at ``--notify-level``. An explicit
``--notify-config`` without ``--notify`` uses every notifier of the file. Every mistake is a
usage error naming the file and line (or the option), raised before anything runs.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rootwatch.errors import ConfigError, UsageError
from rootwatch.notify import NOTIFIER_TYPES, NotifierType
from rootwatch.notify.dispatch import RetryPolicy, Route
from rootwatch.notify.message import ComposeOptions, Item, Level
from rootwatch.notify.secrets import Secret, from_env, from_file, mask_url
from rootwatch.yamlio import line_of, load_yaml

CONFIG_NAME = "rootwatch.yaml"
SECTIONS = ("notifiers", "events")
"""Sections of the file; ``events:`` is read by :mod:`rootwatch.events.config`."""
COMMON_KEYS = {"type", "level", "tag", "where", "max_rows", "attach_csv", "retry"}
RETRY_KEYS = {"attempts", "backoff", "timeout"}


class Options:
    """A notifier's settings with typed accessors whose errors name the file and line (or option)."""

    def __init__(self, name: str, data: Mapping[str, Any], where: str, path: Path | None = None) -> None:
        self.name = name
        self.data = data
        self.where = where
        self.path = path

    def error(self, key: str | None, message: str, hint: str | None = None) -> ConfigError:
        line = line_of(self.data, key) if key is not None else line_of(self.data)
        place = f"{self.path}:{line}" if self.path is not None and line else (str(self.path) if self.path else self.where)
        subject = f"notifier {self.name!r}" if self.path is not None else self.where
        return ConfigError(f"{place}: {subject}: {message}", hint=hint)

    def check_keys(self, allowed: set[str]) -> None:
        for key in self.data:
            if key not in allowed | COMMON_KEYS:
                known = ", ".join(sorted(allowed | COMMON_KEYS))
                raise self.error(key, f"unknown setting {key!r}", hint=f"settings of a {self.data.get('type')} notifier: {known}")

    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(None, f"{key} is required")
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.error(key, f"{key} must be text")
        return str(value).strip()

    def texts(self, key: str, *, required: bool = False) -> list[str]:
        """A list, or one comma-separated string."""
        value = self.data.get(key)
        if value is None:
            if required:
                raise self.error(None, f"{key} is required (one value or a list)")
            return []
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            raise self.error(key, f"{key} must be text or a list of text")
        found = [part.strip() for v in values for part in v.split(",") if part.strip()]
        if required and not found:
            raise self.error(key, f"{key} is empty")
        return found

    def number(self, key: str, default: float, *, minimum: float = 0.0) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise self.error(key, f"{key} must be a number of at least {minimum:g}")
        return float(value)

    def integer(self, key: str, default: int, *, minimum: int = 0) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(key, f"{key} must be a whole number of at least {minimum}")
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if isinstance(value, str) and value.lower() in ("yes", "true", "1", "no", "false", "0"):
            return value.lower() in ("yes", "true", "1")
        if not isinstance(value, bool):
            raise self.error(key, f"{key} must be true or false")
        return value

    def choice(self, key: str, choices: Sequence[str], default: str) -> str:
        value = self.text(key, default) or default
        if value not in choices:
            raise self.error(key, f"{key} {value!r} is not one of {', '.join(choices)}")
        return value

    def secret(self, key: str, *, required: bool, inline: bool) -> Secret | None:
        """``KEY_env: NAME`` or ``KEY_file: PATH`` (and ``KEY: value`` where ``inline`` allows it)."""
        given = [k for k in (key, f"{key}_env", f"{key}_file") if k in self.data]
        if len(given) > 1:
            raise self.error(given[1], f"give only one of {', '.join(given)}")
        if not given:
            if required:
                raise self.error(None, f"{key}_env (an environment variable) or {key}_file is required")
            return None
        chosen = given[0]
        where = f"{self.path}:{line_of(self.data, chosen)}" if self.path else self.where
        if chosen == f"{key}_env":
            return from_env(self.text(chosen, required=True) or "", where)
        if chosen == f"{key}_file":
            return from_file(Path(os.path.expanduser(self.text(chosen, required=True) or "")), where)
        if not inline:
            raise self.error(
                chosen, f"{key} must not be written in the configuration", hint=f"use {key}_env: VARIABLE or {key}_file: PATH"
            )
        return Secret(self.text(chosen, required=True) or "", "the configuration")

    def url(self, key: str = "url") -> Secret:
        """A webhook URL (a secret: services put the token in its path)."""
        secret = self.secret(key, required=True, inline=True)
        assert secret is not None
        value = secret.reveal()
        if not value.lower().startswith(("https://", "http://")):
            raise self.error(key, f"{key} must be an http:// or https:// URL (read from {secret.origin}: {mask_url(value)})")
        return secret


def default_config_paths(mod_location: Path | None) -> list[Path]:
    """``rootwatch.yaml`` beside the mod, then in the user's configuration directory."""
    paths = [mod_location / CONFIG_NAME] if mod_location is not None else []
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    paths.append(Path(base) / "rootwatch" / CONFIG_NAME)
    return paths


@dataclass(frozen=True)
class NotifyConfig:
    """The ``notifiers:`` section of a config file (empty when there is no file)."""

    path: Path | None
    notifiers: Mapping[str, Mapping[str, Any]]

    @classmethod
    def load(cls, explicit: Path | None, mod_location: Path | None) -> NotifyConfig:
        if explicit is not None:
            if not explicit.is_file():
                raise UsageError(f"--notify-config {explicit}: no such file")
            return cls._read(explicit)
        for path in default_config_paths(mod_location):
            if path.is_file():
                return cls._read(path)
        return cls(None, {})

    @classmethod
    def _read(cls, path: Path) -> NotifyConfig:
        data = load_yaml(path)
        if data is None:
            return cls(path, {})
        if not isinstance(data, Mapping):
            raise ConfigError(f"{path}: expected a mapping with a 'notifiers:' section")
        for key in data:
            if key not in SECTIONS:
                raise ConfigError(f"{path}:{line_of(data, key)}: unknown section {key!r}", hint="rootwatch.yaml has the sections notifiers: and events:")
        section = data.get("notifiers") or {}
        if not isinstance(section, Mapping):
            raise ConfigError(f"{path}:{line_of(data, 'notifiers')}: notifiers must map names to settings")
        for name, spec in section.items():
            if not isinstance(name, str) or not name or ":" in name:
                raise ConfigError(f"{path}:{line_of(section, name)}: notifier name {name!r} must be text without ':'")
            if not isinstance(spec, Mapping):
                raise ConfigError(f"{path}:{line_of(section, name)}: notifier {name!r} must be a mapping of settings")
        return cls(path, section)


def notifier_type(options: Options) -> NotifierType:
    kind = options.text("type", required=True)
    if kind not in NOTIFIER_TYPES:
        raise options.error("type", f"unknown type {kind!r}", hint=f"types: {', '.join(NOTIFIER_TYPES)}")
    found = NOTIFIER_TYPES[kind or ""]
    if found.requires is not None:
        import importlib.util

        if importlib.util.find_spec(found.requires) is None:
            raise options.error(
                "type", f"the {kind} notifier needs the Python package {found.requires}",
                hint=f"pip install 'rootwatch[{found.extra}]'",
            )  # fmt: skip
    return found


def route_from(options: Options, level: Level | None = None) -> Route:
    """Build a notifier and what surrounds it (level, filters, message shape, retries)."""
    kind = notifier_type(options)
    notifier = kind.build(options)
    if level is None:
        where = f"{options.path}:{line_of(options.data, 'level')}: notifier {options.name!r}: level" if options.path else options.where
        level = Level.parse(options.text("level", "info"), where)
    retry_data = options.data.get("retry") or {}
    if not isinstance(retry_data, Mapping):
        raise options.error("retry", "retry must be a mapping of attempts, backoff and timeout")
    retry = Options(options.name, retry_data, options.where, options.path)
    for key in retry_data:
        if key not in RETRY_KEYS:
            raise retry.error(key, f"unknown retry setting {key!r}", hint="attempts, backoff (seconds), timeout (seconds)")
    policy = RetryPolicy(
        attempts=retry.integer("attempts", RetryPolicy.attempts, minimum=1),
        backoff=retry.number("backoff", RetryPolicy.backoff),
        timeout=retry.number("timeout", RetryPolicy.timeout, minimum=1.0),
    )
    compose = ComposeOptions(
        max_rows=options.integer("max_rows", ComposeOptions.max_rows, minimum=1),
        attach_csv=options.boolean("attach_csv", ComposeOptions.attach_csv),
        carries_files=getattr(notifier, "carries_files", False),
    )
    return Route(options.name, notifier, level, _filter(options), compose, policy)


def _filter(options: Options) -> Callable[[Item], bool] | None:
    """``tag`` and ``where`` of a notifier, as a predicate over items about a control."""
    from rootwatch.plan import tags_match
    from rootwatch.selection import where_predicate

    tags = []
    for pair in options.texts("tag"):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise options.error("tag", f"tag {pair!r} is not key=value", hint="for example tag: cis_level=1")
        tags.append((key.strip(), value.strip()))
    where = options.data.get("where") or []
    expressions = where if isinstance(where, list) else [where]
    if not all(isinstance(e, str) for e in expressions):
        raise options.error("where", "where must be an expression or a list of expressions")
    try:
        predicate = where_predicate(expressions)
    except UsageError as exc:
        raise options.error("where", exc.message.removeprefix("--where "), hint=exc.hint) from None
    if not tags and predicate is None:
        return None

    def accepts(item: Item) -> bool:
        node = item.about
        if node is None:
            return True  # about the run or a notifier, not a control: every filter lets it through
        return tags_match(node, tags) and (predicate is None or predicate(node))

    return accepts


def target_options(target: str) -> Options:
    """``--notify`` target as the settings a config file would hold.

    ``KIND:env:VAR`` and ``KIND:file:PATH`` read the URL from the environment or a file;
    ``KIND:URL`` takes it as given (it then shows in shell history and process listings); a target
    that is itself an ``smtp://`` or ``smtps://`` URL is an email notifier; ``sns:ARN`` a topic.
    A module may define ``from_target(value) -> settings`` to read other forms.
    """
    import importlib

    if target.lower().startswith(("smtp://", "smtps://")):
        kind, value = "email", target
    else:
        kind, _, value = target.partition(":")
    if kind not in NOTIFIER_TYPES:
        raise UsageError(
            f"--notify {target_label(target)}: unknown kind {kind!r}",
            hint=f"kinds: {', '.join(NOTIFIER_TYPES)}; or the name of a notifier in rootwatch.yaml",
        )
    if value.startswith("env:"):
        settings: dict[str, Any] = {"url_env": value[4:]}
    elif value.startswith("file:"):
        settings = {"url_file": value[5:]}
    else:
        parse = getattr(importlib.import_module(NOTIFIER_TYPES[kind].module), "from_target", None)
        settings = parse(value) if parse is not None else {"url": value}
    label = target_label(target)
    return Options(label, {"type": kind, **settings}, f"--notify {label}")


def target_label(target: str) -> str:
    """A name for a command-line target that shows no secret and stays the same run after run (it
    keys the target's part of a --state file): references and topic ARNs as given; an inline URL
    masked, plus a short hash of the whole target so that two webhooks on one host stay apart."""
    kind, _, value = target.partition(":")
    if value.startswith(("env:", "file:")) or kind == "sns":
        return target
    digest = hashlib.sha256(target.encode("utf-8")).hexdigest()[:8]
    if kind.lower() in ("smtp", "smtps"):
        return f"email:{mask_url(target)}#{digest}"
    return f"{kind}:{mask_url(value)}#{digest}"


def resolve_routes(
    targets: Sequence[str], level: Level, config: NotifyConfig, *, explicit_config: bool
) -> list[Route]:
    """The routes a run notifies: each ``--notify`` target, or every notifier of an explicit config."""
    routes: list[Route] = []
    names = list(dict.fromkeys(targets))
    if not names and explicit_config:
        names = list(config.notifiers)
        if not names:
            raise UsageError(f"--notify-config {config.path}: the file names no notifier", hint="add a notifiers: section")
    for target in names:
        if target in config.notifiers:
            spec = config.notifiers[target]
            options = Options(target, spec, f"notifier {target!r}", config.path)
            routes.append(route_from(options))
        elif ":" in target:
            routes.append(route_from(target_options(target), level))
        else:
            from rootwatch.suggest import did_you_mean

            known = list(config.notifiers)
            suggestion = did_you_mean(target, known) if known else None
            where = f"in {config.path}" if config.path else "(no rootwatch.yaml found)"
            hint = f"did you mean {suggestion!r}?" if suggestion else "a target is KIND:VALUE, e.g. slack:env:SLACK_WEBHOOK_URL or smtps://host?to=a@example.com"
            raise UsageError(f"--notify {target}: no notifier of that name {where}", hint=hint)
    return routes
