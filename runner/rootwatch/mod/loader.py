"""Loading a mod directory: ``mod.yaml``, ``controls/``, ``controls/relations/``, ``queries/``, ``cis/``.

Each YAML file is checked against its JSON Schema (``rootwatch/schemas/``, see
:mod:`rootwatch.yamlschema`); what a schema cannot say (a control named by a benchmark exists, an id
agrees with its file name, a default fits its variable's type) is checked here. Every problem is
collected before anything is raised, so one ``rootwatch check`` (or one failed run) lists them all
with their file and line. :func:`load_mod_partly` returns what did load together with
those problems, so ``rootwatch check`` can go on to check the SQL of an invalid mod;
:func:`load_mod`, which every grading command uses, refuses a mod with any problem.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rootwatch.errors import ConfigError, Problem, ValidationFailed
from rootwatch.mod.benchmarks import BenchmarkBuilder, tags_of, text_of
from rootwatch.mod.cis import load_cis_benchmarks
from rootwatch.mod.model import Control, ControlDocs, Mod, Query, Variable
from rootwatch.mod.variables import VARIABLE_TYPES, check_default
from rootwatch.sql.parsing import SqlSource
from rootwatch.sql.relations import RELATIONS_FOLDER
from rootwatch.yamlio import LineDict, line_of
from rootwatch.yamlschema import collect_document

MOD_FILE = "mod.yaml"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


def find_mod_location(explicit: Path | None = None) -> Path:
    """The mod directory: ``explicit``, ``$ROOTWATCH_MOD_LOCATION``, the nearest directory upwards
    from the current one holding ``mod.yaml``, or the source checkout rootwatch runs from."""
    if explicit is None and os.environ.get("ROOTWATCH_MOD_LOCATION"):
        explicit = Path(os.environ["ROOTWATCH_MOD_LOCATION"])
    if explicit is not None:
        if not (explicit / MOD_FILE).is_file():
            raise ConfigError(
                f"no {MOD_FILE} in {explicit}",
                hint="--mod-location must name the directory that holds mod.yaml",
            )
        return explicit
    here = Path.cwd().resolve()
    for directory in (here, *here.parents):
        if (directory / MOD_FILE).is_file():
            return directory
    checkout = Path(__file__).resolve().parents[3]
    if (checkout / MOD_FILE).is_file():
        return checkout
    raise ConfigError(
        f"no {MOD_FILE} found in {here} or its parents",
        hint="run rootwatch inside the mod directory or pass --mod-location DIR",
    )


@dataclass(frozen=True)
class LoadedMod:
    """A mod loaded as far as its files allow, with every problem found on the way.

    ``mod`` holds the variables, controls, queries and benchmarks that could be built. It is only
    fit to run when ``problems`` is empty; ``rootwatch check`` uses it regardless, to check the SQL
    of what loaded in the same run that reports the loading problems.
    """

    mod: Mod
    problems: tuple[Problem, ...]
    declared_variables: frozenset[str] | None
    """Every name under ``variables:`` in mod.yaml, including those whose declaration is invalid
    and so are not in ``mod.variables``: SQL using one must not also be told the name is unknown.
    None when mod.yaml or its ``variables`` section could not be read, so no name is known to be
    unknown."""
    benchmarks_known: bool
    """False when mod.yaml or its ``benchmarks`` section could not be read: which controls the
    benchmarks name is then unknown, so "control in no benchmark" would be noise."""

    @property
    def valid(self) -> bool:
        return not self.problems


def load_mod(location: Path) -> Mod:
    """Load and validate the mod at ``location``; raise ValidationFailed listing every problem."""
    loaded = load_mod_partly(location)
    if loaded.problems:
        raise ValidationFailed(list(loaded.problems))
    return loaded.mod


def load_mod_partly(location: Path) -> LoadedMod:
    """Load the mod at ``location`` as far as possible, never raising for a problem in its files.

    A file that cannot be read or parsed is a problem and the rest still loads: an unreadable
    mod.yaml leaves controls and queries to check, and a control whose metadata is broken keeps its
    SQL (with blank metadata) so its SQL is checked and benchmarks naming it still resolve.
    """
    problems: list[Problem] = []
    mod_path = location / MOD_FILE
    # None when mod.yaml cannot be read, is not valid YAML or is not a mapping. Loading goes on
    # without it: controls and queries do not depend on mod.yaml, and their problems belong in the
    # same report.
    top = _document(mod_path, "mod", problems)
    data = top if top is not None else LineDict()
    identity = _mapping(data.get("mod"))
    name = text_of(identity, "name")
    raw_variables = data.get("variables") or LineDict()
    variables = _load_variables(raw_variables, mod_path, problems)
    relations = _load_relations(location / "controls" / RELATIONS_FOLDER, problems)
    shared = tuple(relations.values())
    controls = {k: replace(c, relations=shared) for k, c in _load_controls(location / "controls", problems).items()}
    queries = {k: replace(q, relations=shared) for k, q in _load_queries(location / "queries", problems).items()}
    builder = BenchmarkBuilder(controls, problems)
    benchmarks = builder.from_mod_yaml(data.get("benchmarks"), mod_path)
    for path, bench in load_cis_benchmarks(location, builder.resolve, problems):
        builder.claim_tree(bench, path)
        benchmarks[bench.id] = bench

    mod = Mod(
        name=name,
        title=text_of(identity, "title") or name,
        description=text_of(identity, "description"),
        location=location,
        variables=variables,
        controls=controls,
        queries=queries,
        benchmarks=benchmarks,
        relations=relations,
    )
    return LoadedMod(
        mod=mod,
        problems=tuple(problems),
        declared_variables=_declared_names(raw_variables) if top is not None else None,
        benchmarks_known=top is not None and isinstance(data.get("benchmarks") or {}, dict),
    )


def _document(path: Path, schema: str, problems: list[Problem]) -> LineDict | None:
    """The YAML file's top-level mapping, its schema problems collected; None (with the problem
    collected) when it cannot be read, is not YAML or is not a mapping."""
    data = collect_document(path, schema, problems)
    return data if isinstance(data, LineDict) else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _declared_names(raw_variables: Any) -> frozenset[str] | None:
    """Names under ``variables:``, whatever their declarations say (see LoadedMod)."""
    return frozenset(str(name) for name in raw_variables) if isinstance(raw_variables, dict) else None


def _load_variables(raw: Any, path: Path, problems: list[Problem]) -> dict[str, Variable]:
    variables: dict[str, Variable] = {}
    for name, spec in _mapping(raw).items():
        # The schema reported a bad name, type or shape; such a declaration is left out.
        if not ID_PATTERN.match(str(name)) or not isinstance(spec, dict) or spec.get("type") not in VARIABLE_TYPES:
            continue
        variable = Variable(
            name=name,
            type=spec["type"],
            description=text_of(spec, "description"),
            default=spec.get("default"),
            minimum=spec.get("minimum"),
            maximum=spec.get("maximum"),
        )
        if variable.default is not None:
            problem = check_default(variable)
            if problem:
                problems.append(Problem(path, line_of(spec, "default"), f"variable {name!r}: {problem}"))
                # Left out (it stays declared) so that `rootwatch check` never compiles SQL with a
                # value of the wrong type and reports that again as a translation problem.
                continue
        variables[name] = variable
    return variables


def _load_controls(directory: Path, problems: list[Problem]) -> dict[str, Control]:
    controls: dict[str, Control] = {}
    if not directory.is_dir():
        return controls
    sql_files = {p.stem: p for p in sorted(directory.glob("*.sql"))}
    meta_files = {p.stem: p for p in sorted(directory.glob("*.yaml"))}
    for stem in sorted(set(meta_files) - set(sql_files)):
        problems.append(Problem(meta_files[stem], None, f"control metadata without SQL: expected {stem}.sql beside it"))
    for stem, sql_path in sql_files.items():
        if not ID_PATTERN.match(stem):
            problems.append(Problem(sql_path, None, f"control id {stem!r} (the file stem) must be lower_snake_case"))
            continue
        control = _load_control(stem, sql_path, directory / f"{stem}.yaml", problems)
        if control is not None:
            controls[stem] = control
    return controls


def _read_sql(path: Path, problems: list[Problem]) -> str | None:
    """The text of a SQL file, or None (the problem collected) when it cannot be read as UTF-8."""
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path, None, f"cannot read SQL: {exc}"))
        return None


def _load_control(stem: str, sql_path: Path, meta_path: Path, problems: list[Problem]) -> Control | None:
    sql = _read_sql(sql_path, problems)
    if sql is None:
        return None
    if not sql.strip():
        problems.append(Problem(sql_path, None, "empty SQL file"))
    if not meta_path.is_file():
        problems.append(Problem(sql_path, None, f"control {stem} has no metadata file {meta_path.name}"))
        return _control_without_metadata(stem, sql_path, meta_path, sql)
    meta = _document(meta_path, "control", problems)
    if meta is None:
        return _control_without_metadata(stem, sql_path, meta_path, sql)
    if "id" in meta and meta["id"] != stem:
        problems.append(Problem(meta_path, line_of(meta, "id"), f"id {meta['id']!r} disagrees with the file name {stem!r}"))
    docs = _mapping(meta.get("docs"))
    return Control(
        id=stem,
        title=text_of(meta, "title"),
        description=text_of(meta, "description"),
        severity=text_of(meta, "severity"),
        tags=tags_of(meta),
        docs=ControlDocs(rationale=text_of(docs, "rationale"), remediation=text_of(docs, "remediation")),
        sql_path=sql_path,
        meta_path=meta_path,
        sql=sql,
        optional_evidence=_table_list(meta, "optional_evidence", meta_path, problems),
        alarms_stand_without=_table_list(meta, "alarms_stand_without", meta_path, problems),
        passes_stand_without=_table_list(meta, "passes_stand_without", meta_path, problems),
        headline=text_of(meta, "headline"),
    )


def _control_without_metadata(stem: str, sql_path: Path, meta_path: Path, sql: str) -> Control:
    """A control whose metadata is missing or unusable (that problem is already collected).

    Kept with blank metadata rather than dropped: ``rootwatch check`` still checks its SQL, and a
    benchmark naming it resolves instead of adding a misleading "unknown control". The mod is
    invalid anyway, so no run ever grades it.
    """
    return Control(
        id=stem,
        title="",
        description="",
        severity="",
        tags={},
        docs=ControlDocs(rationale="", remediation=""),
        sql_path=sql_path,
        meta_path=meta_path,
        sql=sql,
    )


def _table_list(meta: Mapping, key: str, meta_path: Path, problems: list[Problem]) -> frozenset[str]:
    """A list of table names under ``key``: ``optional_evidence`` (tables the control grades
    without; its SQL says what is missing), ``alarms_stand_without`` or ``passes_stand_without``
    (see Control)."""
    value = meta.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        return frozenset()  # absent, or its shape already reported by the schema
    from rootwatch.schema.tables import load_tables

    known = load_tables()
    for name in value:
        if name not in known:
            problems.append(Problem(meta_path, line_of(meta, key), f"{key}: unknown table {name!r}"))
    return frozenset(value)


def _load_relations(directory: Path, problems: list[Problem]) -> dict[str, SqlSource]:
    """Shared relations: ``<name>.sql`` files read by name from controls and queries.

    A relation named like a table would hide that table from every file that reads it.
    """
    from rootwatch.schema.tables import load_tables

    relations: dict[str, SqlSource] = {}
    if not directory.is_dir():
        return relations
    tables = load_tables()
    for sql_path in sorted(directory.glob("*.sql")):
        name = sql_path.stem
        if not ID_PATTERN.match(name):
            problems.append(Problem(sql_path, None, f"relation name {name!r} (the file stem) must be lower_snake_case"))
            continue
        if name in tables:
            problems.append(Problem(sql_path, 1, f"relation {name} has the name of the table {name}, which it would hide; rename the file"))
            continue
        sql = _read_sql(sql_path, problems)
        if sql is None:
            continue
        if not sql.strip():
            problems.append(Problem(sql_path, None, "empty SQL file"))
            continue
        relations[name] = SqlSource(name, sql, sql_path)
    return relations


def _load_queries(directory: Path, problems: list[Problem]) -> dict[str, Query]:
    queries: dict[str, Query] = {}
    if not directory.is_dir():
        return queries
    for sql_path in sorted(directory.glob("*.sql")):
        stem = sql_path.stem
        if not ID_PATTERN.match(stem):
            problems.append(Problem(sql_path, None, f"query name {stem!r} (the file stem) must be lower_snake_case"))
            continue
        sql = _read_sql(sql_path, problems)
        if sql is None:
            continue
        # Broken metadata (collected as a problem) falls back to the defaults, as for a query with
        # none, so that `rootwatch check` still checks the query's SQL.
        meta_path = directory / f"{stem}.yaml"
        meta = _mapping(_document(meta_path, "query", problems)) if meta_path.exists() else {}
        queries[stem] = Query(
            name=stem,
            title=text_of(meta, "title") or stem.replace("_", " ").capitalize(),
            description=text_of(meta, "description"),
            sql_path=sql_path,
            sql=sql,
        )
    return queries
