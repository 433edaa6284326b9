"""Loading a mod directory: ``mod.yaml``, ``controls/``, ``queries/``.

Every problem is collected before anything is raised, so one ``rootwatch check`` (or one failed run)
lists them all with their file and line. :func:`load_mod_partly` returns what did load together with
those problems, so ``rootwatch check`` can go on to check the SQL of an invalid mod;
:func:`load_mod`, which every grading command uses, refuses a mod with any problem.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rootwatch.errors import ConfigError, InputError, Problem, ValidationFailed
from rootwatch.mod.model import (
    SEVERITIES,
    Benchmark,
    Control,
    ControlDocs,
    ControlNode,
    Mod,
    Query,
    Variable,
)
from rootwatch.mod.variables import VARIABLE_TYPES, check_default
from rootwatch.yamlio import LineDict, line_of, load_yaml

MOD_FILE = "mod.yaml"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
CIS_ITEM_PATTERN = re.compile(r"^\d+(\.\d+)*$")
CIS_LEVELS = ("1", "2", "1,2")
# CIS v1.2.0 graded items 'scored'/'not_scored'; later versions 'automated'/'manual'.
CIS_TYPES = ("automated", "manual", "scored", "not_scored")


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


class _Collector:
    """Problems found while loading, with helpers that type-check YAML values."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: Path | None, line: int | None, message: str) -> None:
        self.problems.append(Problem(path, line, message))

    def mapping(self, value: Any, path: Path, line: int | None, what: str) -> LineDict | None:
        if isinstance(value, dict):
            return value  # type: ignore[return-value]
        self.add(path, line, f"{what} must be a mapping")
        return None

    def text(self, data: Mapping, key: str, path: Path, *, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.add(path, line_of(data), f"missing {key!r}")
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(path, line_of(data, key), f"{key!r} must be non-empty text")
            return ""
        return value.strip()

    def unknown_keys(self, data: Mapping, allowed: set[str], path: Path, what: str) -> None:
        for key in data:
            if key not in allowed:
                expected = ", ".join(sorted(allowed))
                self.add(path, line_of(data, key), f"unknown key {key!r} in {what} (expected: {expected})")

    def tags(self, data: Mapping, path: Path) -> dict[str, str]:
        raw = data.get("tags") or {}
        if not isinstance(raw, dict):
            self.add(path, line_of(data, "tags"), "'tags' must be a mapping of names to values")
            return {}
        return {str(k): _tag_value(v) for k, v in raw.items()}


def _tag_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
    collect = _Collector()
    mod_path = location / MOD_FILE
    # None when mod.yaml cannot be read, is not valid YAML or is not a mapping. Loading goes on
    # without it: controls and queries do not depend on mod.yaml, and their problems belong in the
    # same report.
    top = _yaml_mapping(mod_path, collect, "mod.yaml")
    # An unreadable mod.yaml is one problem; checking its (absent) keys would only add echoes of it.
    data = top if top is not None else LineDict()
    name, title, description = _mod_identity(top, mod_path, collect) if top is not None else ("", "", "")

    raw_variables = data.get("variables") or LineDict()
    variables = _load_variables(raw_variables, mod_path, collect)
    controls = _load_controls(location / "controls", collect)
    queries = _load_queries(location / "queries", collect)
    benchmarks = _load_benchmarks(data.get("benchmarks") or LineDict(), mod_path, controls, collect)

    mod = Mod(
        name=name,
        title=title,
        description=description,
        location=location,
        variables=variables,
        controls=controls,
        queries=queries,
        benchmarks=benchmarks,
    )
    return LoadedMod(
        mod=mod,
        problems=tuple(collect.problems),
        declared_variables=_declared_names(raw_variables) if top is not None else None,
        benchmarks_known=top is not None and isinstance(data.get("benchmarks") or {}, dict),
    )


def _yaml_mapping(path: Path, collect: _Collector, what: str) -> LineDict | None:
    """The YAML file's top-level mapping, or None with the problem collected."""
    try:
        raw = load_yaml(path)
    except InputError as exc:
        collect.problems.append(exc.problem)
        return None
    return collect.mapping(raw, path, 1, what)


def _mod_identity(data: LineDict, mod_path: Path, collect: _Collector) -> tuple[str, str, str]:
    """The name, title and description under ``mod:`` in a readable mod.yaml."""
    collect.unknown_keys(data, {"mod", "variables", "benchmarks"}, mod_path, "mod.yaml")
    identity = collect.mapping(data.get("mod"), mod_path, line_of(data, "mod"), "'mod'") or LineDict()
    collect.unknown_keys(identity, {"name", "title", "description"}, mod_path, "'mod'")
    name = collect.text(identity, "name", mod_path)
    title = collect.text(identity, "title", mod_path, required=False) or name
    description = collect.text(identity, "description", mod_path, required=False)
    return name, title, description


def _declared_names(raw_variables: Any) -> frozenset[str] | None:
    """Names under ``variables:``, whatever their declarations say (see LoadedMod)."""
    return frozenset(str(name) for name in raw_variables) if isinstance(raw_variables, dict) else None


def _load_variables(raw: Any, path: Path, collect: _Collector) -> dict[str, Variable]:
    variables: dict[str, Variable] = {}
    section = collect.mapping(raw, path, line_of(raw), "'variables'")
    for name, spec in (section or {}).items():
        line = line_of(section, name)
        if not ID_PATTERN.match(str(name)):
            collect.add(path, line, f"variable name {name!r} must be lower_snake_case")
            continue
        spec = collect.mapping(spec, path, line, f"variable {name!r}")
        if spec is None:
            continue
        collect.unknown_keys(
            spec, {"type", "default", "description", "minimum", "maximum"}, path, f"variable {name!r}"
        )
        var_type = spec.get("type")
        if var_type not in VARIABLE_TYPES:
            allowed = ", ".join(VARIABLE_TYPES)
            collect.add(path, line_of(spec, "type"), f"variable {name!r}: type must be one of {allowed}")
            continue
        variable = Variable(
            name=name,
            type=var_type,
            description=collect.text(spec, "description", path),
            default=spec.get("default"),
            minimum=spec.get("minimum"),
            maximum=spec.get("maximum"),
        )
        if variable.default is not None:
            problem = check_default(variable)
            if problem:
                collect.add(path, line_of(spec, "default"), f"variable {name!r}: {problem}")
                # Left out (it stays declared) so that `rootwatch check` never compiles SQL with a
                # value of the wrong type and reports that again as a translation problem.
                continue
        variables[name] = variable
    return variables


def _load_controls(directory: Path, collect: _Collector) -> dict[str, Control]:
    controls: dict[str, Control] = {}
    if not directory.is_dir():
        return controls
    sql_files = {p.stem: p for p in sorted(directory.glob("*.sql"))}
    meta_files = {p.stem: p for p in sorted(directory.glob("*.yaml"))}
    for stem in sorted(set(meta_files) - set(sql_files)):
        collect.add(meta_files[stem], None, f"control metadata without SQL: expected {stem}.sql beside it")
    for stem, sql_path in sql_files.items():
        if not ID_PATTERN.match(stem):
            collect.add(sql_path, None, f"control id {stem!r} (the file stem) must be lower_snake_case")
            continue
        control = _load_control(stem, sql_path, directory / f"{stem}.yaml", collect)
        if control is not None:
            controls[stem] = control
    return controls


def _read_sql(path: Path, collect: _Collector) -> str | None:
    """The text of a SQL file, or None (the problem collected) when it cannot be read as UTF-8."""
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        collect.add(path, None, f"cannot read SQL: {exc}")
        return None


def _read_control_meta(stem: str, sql_path: Path, meta_path: Path, collect: _Collector) -> LineDict | None:
    """A control's metadata mapping, or None (the problem collected) when it is missing, is not
    valid YAML or is not a mapping."""
    if not meta_path.is_file():
        collect.add(sql_path, None, f"control {stem} has no metadata file {meta_path.name}")
        return None
    return _yaml_mapping(meta_path, collect, "control metadata")


def _load_control(stem: str, sql_path: Path, meta_path: Path, collect: _Collector) -> Control | None:
    sql = _read_sql(sql_path, collect)
    if sql is None:
        return None
    if not sql.strip():
        collect.add(sql_path, None, "empty SQL file")
    meta = _read_control_meta(stem, sql_path, meta_path, collect)
    if meta is None:
        return _control_without_metadata(stem, sql_path, meta_path, sql)
    collect.unknown_keys(
        meta,
        {"id", "title", "description", "severity", "tags", "docs", "optional_evidence", "alarms_stand_without"},
        meta_path,
        "control metadata",
    )
    if "id" in meta and meta["id"] != stem:
        collect.add(meta_path, line_of(meta, "id"), f"id {meta['id']!r} disagrees with the file name {stem!r}")
    severity = collect.text(meta, "severity", meta_path)
    if severity and severity not in SEVERITIES:
        collect.add(meta_path, line_of(meta, "severity"), f"severity must be one of {', '.join(SEVERITIES)}")
    docs = collect.mapping(meta.get("docs"), meta_path, line_of(meta, "docs"), "'docs'") or LineDict()
    collect.unknown_keys(docs, {"rationale", "remediation"}, meta_path, "'docs'")
    return Control(
        id=stem,
        title=collect.text(meta, "title", meta_path),
        description=collect.text(meta, "description", meta_path),
        severity=severity,
        tags=collect.tags(meta, meta_path),
        docs=ControlDocs(
            rationale=collect.text(docs, "rationale", meta_path),
            remediation=collect.text(docs, "remediation", meta_path),
        ),
        sql_path=sql_path,
        meta_path=meta_path,
        sql=sql,
        optional_evidence=_table_list(meta, "optional_evidence", meta_path, collect),
        alarms_stand_without=_table_list(meta, "alarms_stand_without", meta_path, collect),
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


def _table_list(meta: Mapping, key: str, meta_path: Path, collect: _Collector) -> frozenset[str]:
    """A list of table names under ``key``: ``optional_evidence`` (tables the control grades
    without; its SQL says what is missing) or ``alarms_stand_without`` (see Control)."""
    from rootwatch.schema.tables import load_tables

    value = meta.get(key, [])
    if value == []:
        return frozenset()
    line = line_of(meta, key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        collect.add(meta_path, line, f"{key} must be a list of table names")
        return frozenset()
    known = load_tables()
    for name in value:
        if name not in known:
            collect.add(meta_path, line, f"{key}: unknown table {name!r}")
    return frozenset(value)


def _load_queries(directory: Path, collect: _Collector) -> dict[str, Query]:
    queries: dict[str, Query] = {}
    if not directory.is_dir():
        return queries
    for sql_path in sorted(directory.glob("*.sql")):
        stem = sql_path.stem
        if not ID_PATTERN.match(stem):
            collect.add(sql_path, None, f"query name {stem!r} (the file stem) must be lower_snake_case")
            continue
        sql = _read_sql(sql_path, collect)
        if sql is None:
            continue
        # Broken metadata (collected as a problem) falls back to the defaults, as for a query with
        # none, so that `rootwatch check` still checks the query's SQL.
        meta = _read_query_meta(directory / f"{stem}.yaml", collect) or {}
        queries[stem] = Query(
            name=stem,
            title=str(meta.get("title") or stem.replace("_", " ").capitalize()),
            description=str(meta.get("description") or "").strip(),
            sql_path=sql_path,
            sql=sql,
        )
    return queries


def _read_query_meta(meta_path: Path, collect: _Collector) -> Mapping[str, Any] | None:
    """A query's optional metadata, or None when there is none or it is unusable (collected)."""
    if not meta_path.exists():
        return None
    try:
        meta = collect.mapping(load_yaml(meta_path), meta_path, 1, "query metadata")
    except InputError as exc:
        collect.problems.append(exc.problem)
        return None
    if meta is not None:
        collect.unknown_keys(meta, {"title", "description"}, meta_path, "query metadata")
    return meta


class _BenchmarkBuilder:
    """Builds benchmark trees from mod.yaml, including the compact CIS section/item form."""

    def __init__(self, path: Path, controls: Mapping[str, Control], collect: _Collector) -> None:
        self.path = path
        self.controls = controls
        self.collect = collect
        self.seen_ids: dict[str, int | None] = {}

    def claim(self, bench_id: str, line: int | None) -> None:
        if bench_id in self.seen_ids:
            first = self.seen_ids[bench_id]
            self.collect.add(self.path, line, f"benchmark id {bench_id!r} is used twice (first at line {first})")
        self.seen_ids[bench_id] = line

    def benchmark(
        self,
        bench_id: str,
        spec: LineDict,
        *,
        cis: dict[str, str] | None = None,
        title_prefix: str = "",
        extra_tags: Mapping[str, str] | None = None,
        section_service: str | None = None,
        cis_root: str | None = None,
    ) -> Benchmark:
        collect, path = self.collect, self.path
        self.claim(bench_id, spec.line)
        allowed = {"title", "description", "tags", "children", "cis_version", "benchmark", "section", "items", "service"}
        collect.unknown_keys(spec, allowed, path, f"benchmark {bench_id!r}")
        title = collect.text(spec, "title", path)
        tags = {**(extra_tags or {}), **collect.tags(spec, path)}
        cis_version = spec.get("cis_version")
        if cis_version is not None:
            cis = {"cis": "true", "cis_version": str(cis_version), **(cis or {})}
            tags = {**cis, **tags}
            cis_root = bench_id
        children: list[Benchmark | ControlNode] = []
        for child in spec.get("children") or []:
            node = self.child(bench_id, child, cis, cis_root)
            if node is not None:
                children.append(node)
        items = spec.get("items") or []
        if items and cis is None:
            collect.add(path, line_of(spec, "items"), "'items' are CIS items: give the benchmark a cis_version")
        service = spec.get("service") or section_service
        for item in items if cis else []:
            node = self.cis_item(cis_root or bench_id, item, cis, service)
            if node is not None:
                children.append(node)
        return Benchmark(
            id=bench_id,
            title=f"{title_prefix}{title}",
            description=collect.text(spec, "description", path, required=False),
            tags=tags,
            children=tuple(children),
            cis_version=str(cis_version) if cis_version is not None else (cis or {}).get("cis_version"),
        )

    def child(
        self, parent_id: str, spec: Any, cis: dict[str, str] | None, cis_root: str | None
    ) -> Benchmark | ControlNode | None:
        collect, path = self.collect, self.path
        spec = collect.mapping(spec, path, line_of(spec), f"a child of {parent_id!r}")
        if spec is None:
            return None
        if "control" in spec:
            collect.unknown_keys(spec, {"control", "id", "title", "description", "tags"}, path, "a control child")
            control = self.resolve(spec, "control")
            if control is None:
                return None
            return ControlNode(
                id=str(spec.get("id") or control.id),
                title=str(spec.get("title") or control.title),
                description=str(spec.get("description") or control.description),
                tags={**control.tags, **(cis or {}), **collect.tags(spec, path)},
                control=control,
            )
        if "benchmark" in spec:
            return self.benchmark(str(spec["benchmark"]), spec, cis=cis, cis_root=cis_root)
        if "section" in spec:
            if cis is None:
                collect.add(path, spec.line, "a 'section' child belongs in a benchmark with a cis_version")
                return None
            number = str(spec["section"])
            if not CIS_ITEM_PATTERN.match(number):
                collect.add(path, line_of(spec, "section"), f"section {number!r} must be a CIS number such as 3")
                return None
            section_id = f"{cis_root or parent_id}_{number.replace('.', '_')}"
            section_cis = {**cis, "cis_section_id": number}
            return self.benchmark(
                section_id,
                spec,
                cis=section_cis,
                title_prefix=f"{number} ",
                extra_tags=section_cis,
                section_service=spec.get("service"),
                cis_root=cis_root,
            )
        collect.add(path, spec.line, "a child needs one of 'control', 'benchmark' or 'section'")
        return None

    def resolve(self, spec: LineDict, key: str) -> Control | None:
        name = spec.get(key)
        if name is None:
            return None
        control = self.controls.get(str(name))
        if control is None:
            from rootwatch.suggest import did_you_mean

            guess = did_you_mean(str(name), self.controls)
            hint = f" (did you mean {guess!r}?)" if guess else ""
            self.collect.add(self.path, line_of(spec, key), f"unknown control {name!r}{hint}")
        return control

    def cis_item(self, cis_root: str, spec: Any, cis: dict[str, str], service: str | None) -> ControlNode | None:
        collect, path = self.collect, self.path
        spec = collect.mapping(spec, path, line_of(spec), "a CIS item")
        if spec is None:
            return None
        collect.unknown_keys(spec, {"item", "title", "level", "type", "control", "service"}, path, "a CIS item")
        number = str(spec.get("item", ""))
        if not CIS_ITEM_PATTERN.match(number):
            collect.add(path, spec.line, f"CIS item number {number!r} must look like 1.4 or 2.1.1")
            return None
        level = str(spec.get("level"))
        if level not in CIS_LEVELS:
            collect.add(path, line_of(spec, "level"), f"CIS item {number}: level must be one of {', '.join(CIS_LEVELS)}")
        kind = spec.get("type")
        if kind not in CIS_TYPES:
            collect.add(path, line_of(spec, "type"), f"CIS item {number}: type must be one of {', '.join(CIS_TYPES)}")
        title = collect.text(spec, "title", path)
        control = self.resolve(spec, "control") if "control" in spec else None
        item_tags = {
            **cis,
            "cis_item_id": number,
            "cis_level": level,
            "cis_type": str(kind),
        }
        item_service = spec.get("service") or service
        if item_service:
            item_tags["service"] = str(item_service)
        return ControlNode(
            id=f"{cis_root}_{number.replace('.', '_')}",
            title=f"{number} {title}",
            description=control.description if control else "",
            tags={**(control.tags if control else {}), **item_tags},
            control=control,
        )


def _load_benchmarks(raw: Any, path: Path, controls: Mapping[str, Control], collect: _Collector) -> dict[str, Benchmark]:
    section = collect.mapping(raw, path, line_of(raw), "'benchmarks'")
    builder = _BenchmarkBuilder(path, controls, collect)
    benchmarks: dict[str, Benchmark] = {}
    for bench_id, spec in (section or {}).items():
        if not ID_PATTERN.match(str(bench_id)):
            collect.add(path, line_of(section, bench_id), f"benchmark id {bench_id!r} must be lower_snake_case")
            continue
        spec = collect.mapping(spec, path, line_of(section, bench_id), f"benchmark {bench_id!r}")
        if spec is not None:
            benchmarks[bench_id] = builder.benchmark(bench_id, spec)
    return benchmarks
