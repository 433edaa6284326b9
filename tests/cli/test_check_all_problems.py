"""``rootwatch check`` lists loading problems and SQL problems together, in one run.

An audit found that a mod broken in six ways showed two problems, then ten more once those two were
fixed: the SQL was never checked while mod.yaml or a control's metadata had problems.
"""

from __future__ import annotations

from pathlib import Path

MOD_YAML = """\
mod: {name: broken}
variables:
  days: {type: integer, default: 30, description: window}
benchmarks:
  all:
    title: All
    children:
      - control: bad_severity
      - control: unknown_table
      - control: unknown_variable
      - control: parse_error
      - control: unknown_columns
      - control: no_such_control
"""

META = """\
title: T
description: D
severity: {severity}
docs: {{rationale: R, remediation: M}}
"""

CONTROLS = {
    "bad_severity": "select account_id as resource, 'ok' as status, 'fine' as reason from aws_account",
    "unknown_table": "select account_id as resource, 'ok' as status, 'x' as reason\nfrom aws_acount",
    "unknown_variable": "select account_id as resource, 'ok' as status, 'in ' || :dayz as reason from aws_account",
    "parse_error": "select resource, status reason from from where",
    "unknown_columns": "select account_id as resource, 'ok' as status, 'x' as reason,\n  nope, nada\nfrom aws_account",
}


def broken_mod(root: Path) -> Path:
    """A mod with a bad severity, an unknown control, an unknown table, an unknown variable, a SQL
    parse error and unknown columns."""
    (root / "controls").mkdir(parents=True)
    (root / "mod.yaml").write_text(MOD_YAML)
    for name, sql in CONTROLS.items():
        (root / "controls" / f"{name}.sql").write_text(sql)
        severity = "huge" if name == "bad_severity" else "low"
        (root / "controls" / f"{name}.yaml").write_text(META.format(severity=severity))
    return root


def test_check_lists_every_problem_in_one_run(run_cli, tmp_path: Path) -> None:
    root = broken_mod(tmp_path / "mod")
    controls = root / "controls"
    code, out, err = run_cli("check", "--mod-location", str(root))
    assert code == 3
    lines = out.splitlines()
    # sqlglot's wording of the parse error is its own; the file, line and prefix are rootwatch's.
    parse_error = f"{controls / 'parse_error.sql'}:1: cannot parse SQL: "
    assert lines[1].startswith(parse_error)
    assert lines[:1] + lines[2:] == [
        f"{controls / 'bad_severity.yaml'}:3: severity must be one of low, medium, high, critical",
        f"{controls / 'unknown_columns.sql'}:2: no column nope in aws_account",
        f"{controls / 'unknown_columns.sql'}:2: no column nada in aws_account",
        f"{controls / 'unknown_table.sql'}:2: unknown table aws_acount (did you mean aws_account?)",
        f"{controls / 'unknown_variable.sql'}: uses :dayz, which is not a variable in mod.yaml",
        f"{root / 'mod.yaml'}:13: unknown control 'no_such_control'",
    ]
    assert err == "rootwatch check: 7 problems\n"


def test_runs_still_refuse_an_invalid_mod(run_cli, tmp_path: Path, cli_snapshot: Path) -> None:
    root = broken_mod(tmp_path / "mod")
    code, out, err = run_cli("benchmark", "run", "all", "--mod-location", str(root), "--snapshot", str(cli_snapshot))
    assert code == 3 and out == ""
    assert "problems in the mod" in err and "severity must be one of" in err
    assert "unknown control 'no_such_control'" in err


def test_check_reads_the_controls_when_mod_yaml_is_broken(run_cli, tmp_path: Path) -> None:
    root = broken_mod(tmp_path / "mod")
    (root / "mod.yaml").write_text("mod: {name: broken\n")
    code, out, _ = run_cli("check", "--mod-location", str(root))
    assert code == 3
    lines = out.splitlines()
    assert lines[-1].startswith(f"{root / 'mod.yaml'}:") and "invalid YAML" in lines[-1]
    assert any("unknown table aws_acount" in line for line in lines)
    # With mod.yaml's benchmarks and variables unknown, "in no benchmark" would name every control
    # and every :name would be "not a variable".
    assert not any("in no benchmark" in line or "not a variable" in line for line in lines)


def test_an_invalid_variable_is_not_also_unknown(run_cli, tmp_path: Path) -> None:
    root = broken_mod(tmp_path / "mod")
    mod_yaml = root / "mod.yaml"
    mod_yaml.write_text(MOD_YAML.replace("days: {type: integer, default: 30", "dayz: {type: integer, default: soon"))
    code, out, _ = run_cli("check", "--mod-location", str(root))
    assert code == 3
    assert f"{mod_yaml}:3: variable 'dayz': " in out
    assert ":dayz, which is not a variable" not in out


def test_fixing_every_listed_problem_leaves_a_valid_mod(run_cli, tmp_path: Path) -> None:
    root = broken_mod(tmp_path / "mod")
    controls = root / "controls"
    (controls / "bad_severity.yaml").write_text(META.format(severity="high"))
    (controls / "unknown_table.sql").write_text(CONTROLS["unknown_table"].replace("aws_acount", "aws_account"))
    (controls / "unknown_variable.sql").write_text(CONTROLS["unknown_variable"].replace(":dayz", ":days"))
    (controls / "parse_error.sql").write_text(CONTROLS["bad_severity"])
    (controls / "unknown_columns.sql").write_text(CONTROLS["unknown_columns"].replace(",\n  nope, nada", ""))
    (root / "mod.yaml").write_text(MOD_YAML.replace("      - control: no_such_control\n", ""))
    code, out, err = run_cli("check", "--mod-location", str(root))
    assert (code, err) == (0, "")
    assert out == "mod broken is valid: 5 controls, 0 queries, 1 benchmark\n"


def test_a_construct_spark_cannot_run_is_a_problem_naming_spark(run_cli, tmp_path: Path) -> None:
    """regexp_replace without 'g' replaces the first match on Postgres and DuckDB; Spark always
    replaces every match, so the control cannot run there unchanged."""
    root = broken_mod(tmp_path / "mod")
    controls = root / "controls"
    for name in ("bad_severity", "unknown_table", "unknown_variable", "parse_error", "unknown_columns"):
        (controls / f"{name}.yaml").write_text(META.format(severity="low"))
        (controls / f"{name}.sql").write_text(CONTROLS["bad_severity"])
    (controls / "unknown_table.sql").write_text(
        "select account_id as resource, 'ok' as status, regexp_replace(account_id, '1', 'x') as reason from aws_account"
    )
    (root / "mod.yaml").write_text(MOD_YAML.replace("      - control: no_such_control\n", ""))
    code, out, _ = run_cli("check", "--mod-location", str(root))
    assert code == 3
    assert out.splitlines() == [
        f"{controls / 'unknown_table.sql'}: spark: {controls / 'unknown_table.sql'}: regexp_replace() without the 'g' flag "
        "(first match only) has no Spark translation"
    ]


def test_a_second_check_reads_the_cache_and_an_edit_is_checked_again(run_cli, tmp_path: Path, monkeypatch) -> None:
    """The outcome of checking each SQL file is kept (rootwatch.checks): the same problems come back
    without compiling, and a file fixed or broken since is checked afresh."""
    from rootwatch.sql import compile_cache

    monkeypatch.setenv("ROOTWATCH_CACHE_DIR", str(tmp_path / "cache"))
    compile_cache.source_key.cache_clear()
    compile_cache.source_facts.cache_clear()
    root = broken_mod(tmp_path / "mod")
    first = run_cli("check", "--mod-location", str(root))
    assert list((tmp_path / "cache" / "sql").rglob("*.json")), "nothing was kept"
    assert run_cli("check", "--mod-location", str(root)) == first
    controls = root / "controls"
    (controls / "unknown_table.sql").write_text(CONTROLS["bad_severity"])
    (controls / "bad_severity.sql").write_text(CONTROLS["unknown_table"])
    code, out, err = run_cli("check", "--mod-location", str(root))
    assert f"{controls / 'bad_severity.sql'}:2: unknown table aws_acount (did you mean aws_account?)" in out
    assert "unknown_table.sql" not in out
