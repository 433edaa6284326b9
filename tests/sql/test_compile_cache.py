"""The on-disk compile cache gives exactly the SQL a cold compilation gives, and survives damage.

Every test points ``ROOTWATCH_CACHE_DIR`` at a directory of its own, and clears the in-process
caches, so "a later process" is simulated faithfully: nothing but the files is shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from rootwatch.checks import sample_values
from rootwatch import diskcache
from rootwatch.sql import compile_cache
from rootwatch.sql.compile import _compile_cached, _compile_cold, compile_sql
from rootwatch.sql.parsing import SqlSource

AS_OF = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=timezone.utc)
LATER = datetime(2027, 12, 31, 23, 59, 59, tzinfo=timezone.utc)


def _rootwatch_only_tables() -> tuple[str, ...]:
    """What a live endpoint lacks: compiled with stand-ins for them."""
    from rootwatch.schema.tables import load_tables

    return tuple(sorted(t.name for t in load_tables().values() if t.origin == "rootwatch"))


MISSING = _rootwatch_only_tables()


def _forget_in_process() -> None:
    """What a new process would not have: the in-process caches (the disk stays)."""
    _compile_cached.cache_clear()
    compile_cache.source_facts.cache_clear()
    compile_cache.source_key.cache_clear()
    compile_cache.fingerprint.cache_clear()


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ROOTWATCH_CACHE_DIR", str(folder))
    monkeypatch.delenv(compile_cache.DISABLE_ENV, raising=False)
    _forget_in_process()
    yield folder
    _forget_in_process()


def _cold(source: SqlSource, dialect: str, values: dict, as_of: datetime, missing=()) -> str:
    """The compilation with no cache at all."""
    used = {k: v for k, v in values.items() if k in compile_cache.source_facts(source).placeholders}
    return _compile_cold(source, dialect, used, as_of, missing=tuple(sorted(missing)), missing_columns=(), pretty=False)


def _other_values(values: dict) -> dict:
    """Values of the same kinds as ``values``, all different (strings with quotes in them)."""
    def other(value):
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value + 17
        if isinstance(value, float):
            return value * 3 + 0.25
        if isinstance(value, str):
            return value + "'; drop table x; --"
        if isinstance(value, list):
            return [other(v) for v in value]
        return value

    return {name: other(value) for name, value in values.items()}


def _sources(mod) -> list[SqlSource]:
    return [c.source for c in mod.controls.values()] + [q.source for q in mod.queries.values()]


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_a_cache_hit_gives_the_cold_compilation_for_every_control_and_query(mod, cache_dir, dialect) -> None:
    values = sample_values(dict(mod.variables))
    changed = _other_values(values)
    for source in _sources(mod):
        for missing in ((), MISSING):
            first = compile_sql(source, dialect, values, AS_OF, missing_tables=missing)
            assert first == _cold(source, dialect, values, AS_OF, missing), source.name
            _forget_in_process()
            # A later process, with the same values, then other values and another instant.
            assert compile_sql(source, dialect, values, AS_OF, missing_tables=missing) == first, source.name
            hit = compile_sql(source, dialect, changed, LATER, missing_tables=missing)
            assert hit == _cold(source, dialect, changed, LATER, missing), source.name
    kept = list(cache_dir.rglob("*.json"))
    assert kept, "nothing was kept"
    templates = [json.loads(p.read_text())["value"] for p in kept]
    assert any(isinstance(t, dict) and "slots" in t for t in templates), "no template was kept"


def test_a_hit_imports_no_sqlglot(mod, cache_dir, repo) -> None:
    values = sample_values(dict(mod.variables))
    for source in _sources(mod):
        compile_sql(source, "duckdb", values, AS_OF)
    script = textwrap.dedent(
        """
        import sys
        from datetime import datetime, timezone
        from pathlib import Path
        from rootwatch.checks import sample_values
        from rootwatch.mod.loader import load_mod
        from rootwatch.sql.compile import compile_sql

        mod = load_mod(Path(sys.argv[1]))
        values = sample_values(dict(mod.variables))
        as_of = datetime(2030, 1, 1, tzinfo=timezone.utc)
        for source in [c.source for c in mod.controls.values()] + [q.source for q in mod.queries.values()]:
            compile_sql(source, "duckdb", values, as_of)
        assert "sqlglot" not in sys.modules, "a cached compilation imported sqlglot"
        """
    )
    done = subprocess.run([sys.executable, "-c", script, str(repo)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_corrupt_or_partial_entry_is_ignored_and_rebuilt(mod, cache_dir) -> None:
    values = sample_values(dict(mod.variables))
    sources = _sources(mod)
    expected = {s.name: compile_sql(s, "duckdb", values, AS_OF) for s in sources}
    files = sorted(cache_dir.rglob("*.json"))
    damage = [b"", b"{", b"not json", b'{"key": "another", "value": {"sql": "select 1", "slots": {}}}',
              b'{"key": null}', b"[1, 2]"]
    for n, path in enumerate(files):
        key = path.stem
        if n % 7 == 6:  # the right key with a value of the wrong shape
            path.write_text(json.dumps({"key": key, "value": {"sql": 5, "slots": []}}))
        else:
            path.write_bytes(damage[n % len(damage)])
    _forget_in_process()
    assert {s.name: compile_sql(s, "duckdb", values, AS_OF) for s in sources} == expected
    # Rebuilt: every entry is whole again.
    for path in cache_dir.rglob("*.json"):
        assert json.loads(path.read_text())["key"] == path.stem


def test_an_unwritable_cache_only_costs_the_speed_up(mod, tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ROOTWATCH_CACHE_DIR", str(blocker))
    _forget_in_process()
    source = next(iter(mod.controls.values())).source
    values = sample_values(dict(mod.variables))
    assert compile_sql(source, "duckdb", values, AS_OF) == _cold(source, "duckdb", values, AS_OF)
    _forget_in_process()


_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone
    from pathlib import Path
    from rootwatch.checks import sample_values
    from rootwatch.mod.loader import load_mod
    from rootwatch.sql.compile import compile_sql

    mod = load_mod(Path(sys.argv[1]))
    values = sample_values(dict(mod.variables))
    as_of = datetime(2026, 3, 4, tzinfo=timezone.utc)
    sources = [c.source for c in mod.controls.values()] + [q.source for q in mod.queries.values()]
    for _ in range(3):
        for dialect in ("duckdb", "postgres"):
            for source in sources:
                print(source.name, dialect, compile_sql(source, dialect, values, as_of).replace("\\n", " "))
    """
)


def test_two_processes_writing_at_once_share_the_cache_safely(cache_dir, repo) -> None:
    env = {**os.environ, "ROOTWATCH_CACHE_DIR": str(cache_dir)}
    cold = subprocess.run([sys.executable, "-c", _WRITER, str(repo)], capture_output=True, text=True, timeout=300,
                          env={**env, compile_cache.DISABLE_ENV: "1"})
    assert cold.returncode == 0, cold.stderr
    assert not (cache_dir / "sql").exists(), "the disabled cache wrote something"
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(repo)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=300) for w in writers]
    for writer, (out, err) in zip(writers, outputs):
        assert writer.returncode == 0, err
        assert out == cold.stdout
    assert not list(cache_dir.rglob("*.tmp")), "a temporary file was left behind"
    reader = subprocess.run([sys.executable, "-c", _WRITER, str(repo)], capture_output=True, text=True, timeout=300, env=env)
    assert reader.stdout == cold.stdout


def _control_file(tmp_path: Path, text: str) -> SqlSource:
    path = tmp_path / "probe.sql"
    path.write_text(text)
    return SqlSource("probe", path.read_text(), path)


def test_a_changed_sql_file_misses(cache_dir, tmp_path) -> None:
    before = compile_sql(_control_file(tmp_path, "select 1 as a where now() > now()"), "duckdb", {}, AS_OF)
    _forget_in_process()
    after = compile_sql(_control_file(tmp_path, "select 2 as a where now() > now()"), "duckdb", {}, AS_OF)
    assert "1 AS a" in before and "2 AS a" in after


def test_a_changed_relation_misses(cache_dir, tmp_path) -> None:
    def source(relation_text: str) -> SqlSource:
        relation = SqlSource("numbers", relation_text, tmp_path / "relations" / "numbers.sql")
        return SqlSource("probe", "select n from numbers", tmp_path / "probe.sql", (relation,))

    assert "41" in compile_sql(source("select 41 as n"), "duckdb", {}, AS_OF)
    _forget_in_process()
    assert "42" in compile_sql(source("select 42 as n"), "duckdb", {}, AS_OF)


def test_another_sqlglot_version_misses(cache_dir, tmp_path, monkeypatch) -> None:
    source = _control_file(tmp_path, "select 1 as a")
    compile_sql(source, "duckdb", {}, AS_OF)
    kept = {p.name for p in cache_dir.rglob("*.json")}
    _forget_in_process()
    real = diskcache.installed_version
    monkeypatch.setattr(diskcache, "installed_version", lambda name: "0.0.1" if name == "sqlglot" else real(name))
    compile_sql(source, "duckdb", {}, AS_OF)
    assert {p.name for p in cache_dir.rglob("*.json")} - kept, "the other version read the same entries"


def test_the_installed_versions_are_found_without_importing(monkeypatch) -> None:
    import sqlglot

    assert diskcache.installed_version("sqlglot") == sqlglot.__version__
    assert diskcache.installed_version("duckdb") == duckdb.__version__.lstrip("v")
    assert diskcache.installed_version("surely_no_such_package_here") == "absent"


@pytest.mark.parametrize(
    "sql, values",
    [
        # Text that decides the translation: the value itself keys the entry, never a marker.
        ("select to_char(now(), :fmt) as t", [{"fmt": "YYYY"}, {"fmt": "MM-DD"}]),
        ("select :day::date as d", [{"day": "today"}, {"day": "2020-01-02"}, {"day": "Yesterday "}]),
        ("select format(:f, 'x') as t", [{"f": "%s!"}, {"f": "<%s>"}]),
        # Integer division follows the number's kind and size.
        ("select 7 / :n as q", [{"n": 2}, {"n": 2.5}, {"n": -3}, {"n": 2**63}]),
        ("select 1 as a where 'x' in (:names)", [{"names": ["x"]}, {"names": ["a", "b'c"]}, {"names": []}]),
        ("select :flag as f, :names as n", [{"flag": True, "names": ["a"]}, {"flag": False, "names": ["b", "c"]}]),
    ],
)
def test_values_that_decide_the_translation_are_compiled_for_each_value(cache_dir, tmp_path, sql, values) -> None:
    source = _control_file(tmp_path, sql)
    for dialect in ("duckdb", "postgres"):
        for round_ in range(2):
            for value in values:
                try:
                    expected = _cold(source, dialect, value, AS_OF)
                except Exception as exc:  # noqa: BLE001 - the cached path must fail the same way
                    with pytest.raises(type(exc)):
                        compile_sql(source, dialect, value, AS_OF)
                    continue
                assert compile_sql(source, dialect, value, AS_OF) == expected, (dialect, round_, value)
                _forget_in_process()


NASTY = ["", "'", "''", "a'b", "\\", "\\'", "back\\nslash", "line\nbreak", "tab\there", "\r\n", "é ü 中文 🙂",
         "$$", "$1", ":name", "--", "/*", "*/", "rwv0_0", "'; drop table t; --", "E'x'", "\x01\x7f", "%s", "?"]


@pytest.mark.parametrize("dialect", ["duckdb", "postgres"])
def test_filled_in_literals_are_written_as_sqlglot_writes_them(dialect) -> None:
    from rootwatch.sql.binding import literal
    from rootwatch.sql.template import render_literal

    for value in [*NASTY, 0, 1, -1, 2**63 - 1, -(2**63) + 1, 0.5, -2.25, 1e-07, 1e300, 3.0]:
        node = literal(value)
        expected = node.sql(dialect=dialect)
        rendered = render_literal(value)
        assert (("-" + rendered) if isinstance(value, (int, float)) and value < 0 else rendered) == expected, value


def test_filled_in_strings_stay_inert_data(cache_dir, tmp_path) -> None:
    source = _control_file(tmp_path, "select :s as s, :t as t where :s = :s")
    with duckdb.connect() as con:
        for _ in range(2):
            for value in NASTY:
                sql = compile_sql(source, "duckdb", {"s": value, "t": value + "'"}, AS_OF)
                assert con.execute(sql).fetchall() == [(value, value + "'")]
            _forget_in_process()


def test_refused_values_are_refused_from_the_cache_too(cache_dir, tmp_path) -> None:
    from rootwatch.errors import VariableError

    source = _control_file(tmp_path, "select :s as s, :n as n")
    compile_sql(source, "duckdb", {"s": "ok", "n": 1.5}, AS_OF)
    _forget_in_process()
    with pytest.raises(VariableError):
        compile_sql(source, "duckdb", {"s": "nul\x00", "n": 1.5}, AS_OF)
    with pytest.raises(VariableError):
        compile_sql(source, "duckdb", {"s": "ok", "n": float("inf")}, AS_OF)
