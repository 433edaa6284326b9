"""Shared relations computed once per run, where the engine can keep rows (DuckDB).

A shared relation is inlined as a CTE into each control that reads it (:mod:`rootwatch.sql.relations`),
so two controls reading ``root_usage_verdicts`` each computed the whole root-usage chain: at 10,000
accounts about 0.9 CPU s and 300 MB each, at the same time on DuckDB's two workers. On an engine
that can keep a result's rows (:class:`rootwatch.engines.base.KeepsRows`), the runner computes
such a relation once and the controls that read it read its rows instead:

* **Which**: a relation that two or more of the run's controls read by name and that itself reads
  other relations (a composition, where the cost is; a relation over one table costs as little to
  read again as its rows cost to keep). Also a composition that one control reads when that
  control reads a shared one computed after another: it waits for that chain anyway, and the
  other, computed beside it on another worker, is ready when it starts (root_event_paths, read by
  root_activity_alerted beside trail_coverage -> root_usage_verdicts; see rootwatch.scheduling).
* **How**: the relation is compiled as a source of its own, with the run's variables and as-of
  clock (the same binding its CTE gets inside a control, so the same rows), and its rows are kept
  under its name; each reader is compiled with that relation read as a table and every other
  relation inlined as before. Both are ordinary compilations, cached on disk under keys of their
  own (a key covers the text of every relation a source may still inline).
* **Failures**: a relation that does not compile alone, or a reader that does not compile without
  it, leaves those readers inlining it, with exactly the errors they always had; a relation whose
  statement fails (or is interrupted) makes that failure each reader's error outcome.

``rootwatch control show ID --sql`` still prints the whole expanded text, which runs alone in psql.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from rootwatch.errors import SqlError, VariableError
from rootwatch.mod.model import Control
from rootwatch.sql.parsing import SqlSource
from rootwatch.sql.relations import with_relations


def _named_relations(source: SqlSource) -> frozenset[str]:
    """The relations ``source`` reads by name: :func:`rootwatch.sql.relations.read_relations`'s
    answer as the compile cache keeps it on disk (no parsing on a warm run); SqlError when it does
    not parse."""
    from rootwatch.sql.compile_cache import source_facts

    return source_facts(source).relations


CompileSource = Callable[[SqlSource], str]
"""Compiles a source for the run's engine, variables and clock; raises SqlError or VariableError."""


@dataclass(frozen=True)
class SharedPlan:
    """What a run computes once, and how its readers then read it."""

    relations: dict[str, str] = field(default_factory=dict)
    """Relation name -> the compiled statement whose rows are kept under that name, in the order
    to start them: each after the kept relations it reads."""
    needs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Relation name -> the kept relations its statement reads (only those that read one)."""
    reads: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Control id -> the kept relations it reads, directly or through others (only controls that
    read one)."""
    sql: dict[str, str] = field(default_factory=dict)
    """Control id -> its compiled statement reading the kept rows (same keys as ``reads``)."""


def relations_worth_keeping(controls: Sequence[Control]) -> dict[str, tuple[str, ...]]:
    """Relation name -> ids of the controls that read it by name, for every relation that reads
    other relations itself and that two or more of ``controls`` read, or one control that also reads
    such a relation computed after another (which it waits for)."""
    readers: dict[str, list[str]] = {}
    relations: dict[str, SqlSource] = {}
    for control in controls:
        relations.update((r.name, r) for r in control.relations)
        try:
            names = _named_relations(control.source)
        except SqlError:
            continue  # it says so itself when it compiles
        for name in names:
            readers.setdefault(name, []).append(control.id)
    every = tuple(relations.values())
    composed: set[str] = set()
    for name in readers:
        try:
            if _named_relations(with_relations(relations[name], every)):
                composed.add(name)
        except SqlError:
            continue
    shared = {name: tuple(ids) for name, ids in readers.items() if name in composed and len(ids) >= 2}
    chained = {name for name in shared if _uses(with_relations(relations[name], every), relations, every) & shared.keys()}
    beside = {
        name: tuple(ids)
        for name, ids in readers.items()
        if name in composed and len(ids) == 1 and any(ids[0] in shared[other] for other in chained)
    }
    return {**shared, **beside}


def reading_kept(source: SqlSource, kept: frozenset[str]) -> SqlSource:
    """``source`` reading the relations named in ``kept`` as tables (their kept rows), and still
    inlining every other relation it reads."""
    return SqlSource(source.name, source.text, source.path, tuple(r for r in source.relations if r.name not in kept))


def plan_sharing(controls: Sequence[Control], compile_source: CompileSource) -> SharedPlan:
    """Which relations of ``controls`` to compute once, compiled, and their readers' statements.

    A kept relation that reads another kept one reads its rows too (``root_usage_verdicts`` reads
    ``trail_coverage`` through ``root_alarm_chain``), and so does a control that reads one
    through a relation that is not kept.
    """
    candidates = relations_worth_keeping(controls)
    by_name = {r.name: r for control in controls for r in control.relations}
    every = tuple(by_name.values())

    def source_of(name: str) -> SqlSource:
        return with_relations(by_name[name], every)

    kept = set(candidates)
    while True:
        relation_sql: dict[str, str] = {}
        needs: dict[str, tuple[str, ...]] = {}
        for name in _dependencies_first(kept, lambda n: _uses(source_of(n), by_name, every)):
            wanted = _uses(source_of(name), by_name, every) & relation_sql.keys()  # parsed: a candidate
            for reading in (wanted, set()):  # reading kept rows, else inlining everything as before
                try:
                    relation_sql[name] = compile_source(reading_kept(source_of(name), frozenset(reading)))
                except (SqlError, VariableError):
                    continue
                if reading:
                    needs[name] = tuple(n for n in relation_sql if n in reading)
                break
            # Neither compiles: its readers inline it, and fail with their own words if they must.
        reads: dict[str, tuple[str, ...]] = {}
        sql: dict[str, str] = {}
        for control in controls:
            try:
                names = tuple(n for n in relation_sql if n in _uses(control.source, by_name, every))
            except SqlError:
                continue
            if not names:
                continue
            try:
                sql[control.id] = compile_source(reading_kept(control.source, frozenset(names)))
            except (SqlError, VariableError):
                continue  # inlined, as before
            reads[control.id] = names
        # A relation that fewer than two controls still read from its kept rows saves nothing,
        # unless its one reader waits for another that two read: inline it again and compile its
        # readers anew.
        lonely = {name for name in relation_sql if not _still_worth_keeping(name, reads, needs)}
        if not lonely and kept == relation_sql.keys():
            # Those that wait for nothing start first, so that no worker waits while one could run.
            order = sorted(relation_sql, key=lambda name: name in needs)
            return SharedPlan({name: relation_sql[name] for name in order}, needs, reads, sql)
        kept = set(relation_sql) - lonely


def _still_worth_keeping(name: str, reads: dict[str, tuple[str, ...]], needs: dict[str, tuple[str, ...]]) -> bool:
    """Whether ``name``'s kept rows are read by two controls, or by one that also reads kept rows
    two controls read and that are computed after others (``reads``: control id -> the kept
    relations it reads; ``needs``: relation -> the kept relations it reads)."""
    readers = [names for names in reads.values() if name in names]
    if len(readers) >= 2:
        return True
    return len(readers) == 1 and any(
        other != name and other in needs and sum(other in names for names in reads.values()) >= 2
        for other in readers[0]
    )


def _uses(source: SqlSource, by_name: dict[str, SqlSource], every: tuple[SqlSource, ...]) -> frozenset[str]:
    """Every relation ``source`` reads, directly or through others (from the kept facts)."""
    found: set[str] = set()
    pending = list(_named_relations(source))
    while pending:
        name = pending.pop()
        if name in found or name not in by_name:
            continue
        found.add(name)
        pending.extend(_named_relations(with_relations(by_name[name], every)))
    return frozenset(found)


def _dependencies_first(names: set[str], uses: Callable[[str], frozenset[str]]) -> list[str]:
    """``names`` ordered so that each comes after those of them it reads."""
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for other in sorted(uses(name) & names):
            visit(other)  # relations never read each other in a cycle (the loader refuses one)
        ordered.append(name)

    for name in sorted(names):
        visit(name)
    return ordered
