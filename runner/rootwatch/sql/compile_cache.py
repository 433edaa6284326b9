"""Compiled SQL kept on disk, so a control is compiled once per user, not once per process.

A run used to parse and translate every control again in each new process (0.1-0.2 s for the
larger controls, most of a small run). What compiling gives is kept in the user's cache directory
(:func:`rootwatch.cachedir.cache_directory`, folder ``sql/``), one small JSON file per entry:

* the *facts* of a control's or query's SQL: the ``:name`` parameters it uses, the tables it reads,
  the variables whose text decides the translation (:func:`rootwatch.sql.template.value_sensitive`);
* *templates* of its translation for one dialect (:mod:`rootwatch.sql.template`): filled in with a
  run's variable values and as-of instant without compiling again. Where no template fits
  (``pretty`` layout depends on the width of every literal; a translation that reads a value), the
  translation of the exact values and instant is kept instead.

Every key is a digest of everything the entry depends on: the SQL text, name and path of the
control and of every shared relation of the mod, the dialect, what the engine lacks, the value
shapes, and a fingerprint (:func:`fingerprint`) of rootwatch's version, its compiler's source
and table definitions, and the installed sqlglot and DuckDB. Any change is a new key, so a stale
entry is never read (old files stay until the directory is cleared).

Entries are written to a temporary file in the same folder and renamed into place, so a reader
sees a whole entry or none, and processes sharing the directory never see each other's halves.
An entry that cannot be read or parsed, or names another key, is ignored and rebuilt; a directory
that cannot be written only costs the speed-up. Errors (a control that does not compile) are
never kept: they are found again, with their file and line, each time.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from rootwatch import diskcache
from rootwatch.sql.parsing import SqlSource

FORMAT = 1
"""Version of the entries' layout; part of every key."""

DISABLE_ENV = "ROOTWATCH_NO_SQL_CACHE"
"""Set (to anything but empty) to compile everything afresh and keep nothing."""


def enabled() -> bool:
    return not os.environ.get(DISABLE_ENV)


def read_entry(key: str) -> Any:
    """The value kept under ``key`` in ``sql/``, or None (see :func:`rootwatch.diskcache.read_entry`)."""
    return diskcache.read_entry("sql", key)


def write_entry(key: str, value: Any) -> None:
    """Keep ``value`` under ``key`` in ``sql/`` (see :func:`rootwatch.diskcache.write_entry`)."""
    diskcache.write_entry("sql", key, value)


# ---- keys ----------------------------------------------------------------------------------------


def digest(*parts: Any) -> str:
    text = json.dumps(parts, separators=(",", ":"), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def fingerprint() -> str:
    """What every compiled entry depends on besides the SQL: rootwatch's version and the source of
    its compiler and table definitions, and the installed sqlglot and DuckDB."""
    import rootwatch

    package = Path(rootwatch.__file__).resolve().parent
    hasher = hashlib.sha256(f"{FORMAT}:{rootwatch.__version__}".encode())
    for folder, pattern in (("sql", "*.py"), ("sql", "*.txt"), ("schema", "*.py"), ("schema", "*.yaml")):
        for path in sorted((package / folder).glob(pattern)):
            hasher.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for distribution in ("sqlglot", "duckdb"):
        hasher.update(f"{distribution}={diskcache.installed_version(distribution)}\0".encode())
    return hasher.hexdigest()


@lru_cache(maxsize=1024)
def source_key(source: SqlSource) -> str:
    """Digest of ``source`` and every shared relation it may read, with the fingerprint."""
    return digest(fingerprint(), source.name, str(source.path), source.text, _relations_key(source.relations))


@lru_cache(maxsize=64)
def _relations_key(relations: tuple[SqlSource, ...]) -> str:
    # Every control of a mod carries the same relations: their text (~0.6 MB over a benchmark's
    # sources) is digested once per process, not once per source.
    return digest([(r.name, str(r.path), r.text) for r in relations])


# ---- facts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFacts:
    """What the SQL of a control or query says about itself, through the relations it reads."""

    placeholders: frozenset[str]
    tables: frozenset[str]
    value_sensitive: frozenset[str]
    side_effect: tuple[str, str | None] | None = None
    """Why the SQL could change something (message with :data:`WHERE` for where it is, hint), or
    None when it only reads (:mod:`rootwatch.sql.side_effects`)."""
    relations: frozenset[str] = frozenset()
    """The shared relations the SQL reads by name itself (not through other relations): a run
    asks it of every control to choose what to compute once (:mod:`rootwatch.computed_once`)."""

    def require_side_effect_free(self, where: str) -> None:
        """Raise the SqlError :func:`rootwatch.sql.side_effects.require_side_effect_free` raises."""
        if self.side_effect is not None:
            from rootwatch.errors import SqlError

            message, hint = self.side_effect
            raise SqlError(message.replace(WHERE, where), hint=hint)


WHERE = "\x00where\x00"
"""Stands for the location in a kept side-effect message."""


@lru_cache(maxsize=1024)
def source_facts(source: SqlSource) -> SourceFacts:
    """The facts of ``source``, from the cache or by parsing it (SqlError when it does not parse)."""
    key = digest("facts", source_key(source)) if enabled() else None
    kept = read_entry(key) if key else None
    if isinstance(kept, dict):
        try:
            side_effect = kept["side_effect"]
            return SourceFacts(
                *(frozenset(kept[f]) for f in ("placeholders", "tables", "value_sensitive")),
                (str(side_effect[0]), side_effect[1]) if side_effect else None,
                frozenset(kept["relations"]),
            )
        except (KeyError, TypeError, IndexError):
            pass  # an entry of another shape: rebuilt below
    from rootwatch.errors import SqlError
    from rootwatch.sql.parsing import placeholder_names, parse_expanded, table_names
    from rootwatch.sql.relations import read_relations
    from rootwatch.sql.side_effects import require_side_effect_free
    from rootwatch.sql.template import value_sensitive

    tree = parse_expanded(source)
    try:
        require_side_effect_free(tree, where=WHERE)
        side_effect = None
    except SqlError as exc:
        side_effect = (exc.message, exc.hint)
    facts = SourceFacts(
        placeholder_names(tree), table_names(tree), value_sensitive(tree), side_effect, frozenset(read_relations(source))
    )
    if key:
        write_entry(key, {"placeholders": sorted(facts.placeholders), "tables": sorted(facts.tables),
                          "value_sensitive": sorted(facts.value_sensitive), "side_effect": side_effect,
                          "relations": sorted(facts.relations)})
    return facts


# ---- translations --------------------------------------------------------------------------------

ColdCompile = Callable[[Mapping[str, Any], Any], str]
"""``cold(values, clock)``: the whole compilation, ``clock`` the as-of instant or a marker maker."""


def compiled(
    source: SqlSource,
    settings: tuple[Any, ...],
    values: Mapping[str, Any],
    as_of: datetime,
    cold: ColdCompile,
    *,
    pretty: bool,
) -> str:
    """The translation of ``source`` for ``settings`` (dialect and what the engine lacks), with
    ``values`` bound and the clock at ``as_of``: a kept template filled in, or ``cold`` run (and
    its template kept)."""
    if not enabled():
        return cold(values, as_of)
    from rootwatch.sql.template import Template, build, shape

    sensitive = source_facts(source).value_sensitive
    shapes = {name: shape(value, name in sensitive) for name, value in values.items()}
    base = digest("template", source_key(source), settings, shapes, pretty)
    exact_key = digest("exact", base, values, as_of.isoformat())
    kept = None if pretty else read_entry(base)
    if isinstance(kept, dict) and isinstance(kept.get("sql"), str) and isinstance(kept.get("slots"), dict):
        try:
            return Template(kept["sql"], kept["slots"]).render(values, as_of)
        except (KeyError, IndexError, TypeError, ValueError):
            pass  # an entry of another shape: rebuilt below
    if pretty or (isinstance(kept, dict) and kept.get("refused")):
        exact = read_entry(exact_key)
        if isinstance(exact, str):
            return exact
        sql = cold(values, as_of)
        write_entry(exact_key, sql)
        return sql
    sql, template = build(cold, values, sensitive, as_of)
    if template is None:
        write_entry(base, {"refused": True})
        write_entry(exact_key, sql)
    else:
        write_entry(base, {"sql": template.sql, "slots": template.slots})
    return sql
