"""Mods written into a test's own directory, so tests need nothing outside their tmp_path.

- :func:`write_files` writes any files (dedented) under a directory.
- :func:`copy_controls` copies the repository's own controls (SQL and metadata) into a mod, with
  the shared relations they read (:func:`copy_relations`).
- :func:`stub_controls` writes a trivial passing control for each name.
- :func:`scratch_mod` is a small CIS-shaped mod (the exemplar control, an info control, optionally a
  control that always errors) for command-line tests of exports, selection and ``rootwatch diff``.
- :func:`cli_mod` is a mod of controls that break the result contract on purpose.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]

CIS_SHARED = """\
title: CIS AWS Foundations Benchmark {version}
description: Every recommendation of CIS {version}.
tags: {plugin: aws, type: Benchmark}
prerequisites:
  title: Evidence prerequisites (rootwatch, not a CIS section)
  controls: [credential_report_fresh]
"""
"""A cis/cis.yaml for test mods; its prerequisites group runs credential_report_fresh."""


def write_files(root: Path, files: Mapping[str, str]) -> Path:
    """Write each ``relative path: text`` under ``root`` (text dedented); returns ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), "utf-8")
    return root


def copy_controls(root: Path, names: Iterable[str]) -> None:
    """Copy the repository's controls ``names`` (``.sql`` and ``.yaml``) into ``root/controls``,
    with the shared relations they read into ``root/controls/relations``."""
    from rootwatch.sql.parsing import SqlSource
    from rootwatch.sql.relations import used_relations

    controls = root / "controls"
    controls.mkdir(parents=True, exist_ok=True)
    relations = _repository_relations()
    for name in names:
        for suffix in (".sql", ".yaml"):
            shutil.copy(REPO / "controls" / f"{name}{suffix}", controls / f"{name}{suffix}")
        sql_path = REPO / "controls" / f"{name}.sql"
        source = SqlSource(name, sql_path.read_text("utf-8"), sql_path, relations)
        copy_relations(root, [r.name for r in used_relations(source)])


def copy_relations(root: Path, names: Iterable[str]) -> None:
    """Copy the repository's shared relations ``names`` into ``root/controls/relations``."""
    folder = root / "controls" / "relations"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(REPO / "controls" / "relations" / f"{name}.sql", folder / f"{name}.sql")


def _repository_relations() -> tuple:
    """The repository's shared relations, as the loader reads them (without loading the whole mod)."""
    from rootwatch.sql.parsing import SqlSource

    paths = sorted((REPO / "controls" / "relations").glob("*.sql"))
    return tuple(SqlSource(path.stem, path.read_text("utf-8"), path) for path in paths)


def control_meta(title: str, severity: str = "low", service: str | None = None) -> str:
    """Valid control metadata with the given title, severity and service tag."""
    meta: dict = {
        "title": title,
        "description": f"{title}, for the tests.",
        "severity": severity,
        "docs": {"rationale": "Tests need it.", "remediation": "Nothing to do."},
    }
    if service:
        meta["tags"] = {"service": service}
    return yaml.safe_dump(meta, sort_keys=False)


def stub_controls(root: Path, names: Iterable[str]) -> None:
    """A control for each name that returns one ``ok`` row (its remediation is ``fix <name>``)."""
    controls = root / "controls"
    controls.mkdir(parents=True, exist_ok=True)
    for name in names:
        (controls / f"{name}.sql").write_text("select 'r' as resource, 'ok' as status, 'fine' as reason\n")
        meta = {"title": name, "description": name, "severity": "high", "docs": {"rationale": "r", "remediation": f"fix {name}"}}
        (controls / f"{name}.yaml").write_text(yaml.safe_dump(meta))


def repository_catalogue(root: Path) -> set[str]:
    """Copy the repository's cis/ into ``root``; returns every control its files name."""
    shutil.copytree(REPO / "cis", root / "cis")
    names: set[str] = set()
    for path in (root / "cis").glob("*.yaml"):
        data = yaml.safe_load(path.read_text("utf-8"))
        names.update(r["control"] for r in data.get("recommendations", []) if "control" in r)
        names.update(data.get("prerequisites", {}).get("controls", []))
    return names


# ---- the scratch mod: a CIS-shaped mod for command-line tests ---------------------------------------

SCRATCH_MOD_YAML = """\
mod:
  name: rootwatch
  title: rootwatch (test mod)

benchmarks:
  root:
    title: Root
    children:
      - control: root_no_access_keys
      - control: account_listed
{broken}
"""

SCRATCH_CIS_V700 = """\
sections:
  "2": IAM
recommendations:
  - {item: "2.4", title: "Ensure no root access key", level: 1, type: automated, control: root_no_access_keys}
  - {item: "2.5", title: "Ensure root MFA", level: 1, type: automated}
  - {item: "2.9", title: "Account is listed", level: 2, type: manual, control: account_listed}
"""

SCRATCH_CIS_SHARED = """\
title: CIS v7
description: CIS {version}, three items.
"""

ACCOUNT_LISTED_SQL = """\
-- Every account in the snapshot, as information (a low-severity control for selection tests).
-- accounts is the shared relation (controls/relations/accounts.sql).
select
  root_arn as resource,
  'info' as status,
  'Account ' || account_id || ' is in the snapshot.' as reason,
  account_id
from accounts
order by account_id
"""

BROKEN_SQL = """\
-- Returns a status outside the five, so the runner grades the whole control as error.
select 'arn:aws:iam::' || account_id || ':root' as resource, 'bogus' as status, 'never graded' as reason
from aws_account
"""


def scratch_mod(directory: Path, *, broken: bool = False) -> Path:
    """A mod in ``directory``: the repository's root_no_access_keys, an ``info`` control
    (account_listed, severity low, reading the shared relation accounts), a three-item CIS v7.0.0
    and, with ``broken``, a control that always errors."""
    copy_controls(directory, ["root_no_access_keys"])
    copy_relations(directory, ["accounts"])  # read by account_listed
    files = {
        "controls/account_listed.sql": ACCOUNT_LISTED_SQL,
        "controls/account_listed.yaml": control_meta("Account is listed", "low", "AWS/Organizations"),
        "mod.yaml": SCRATCH_MOD_YAML.format(broken="      - control: broken_status" if broken else ""),
        "cis/cis.yaml": SCRATCH_CIS_SHARED,
        "cis/v7.0.0.yaml": SCRATCH_CIS_V700,
    }
    if broken:
        files["controls/broken_status.sql"] = BROKEN_SQL
        files["controls/broken_status.yaml"] = control_meta("Broken status", "medium", "AWS/IAM")
    return write_files(directory, files)


# ---- the command-line mod: controls that break the result contract ---------------------------------

CLI_MOD_YAML = """\
mod: {name: clitest, title: CLI test mod}
variables:
  root_recent_days: {type: integer, default: 30, minimum: 1, description: window}
  owner_label: {type: string, default: security, description: free text shown in a reason}
benchmarks:
  demo:
    title: Demo benchmark
    children:
      - benchmark: demo_keys
        title: Keys
        children:
          - control: root_no_access_keys
      - control: labelled
  broken:
    title: Broken controls
    children:
      - control: bad_status
      - control: bad_columns
      - control: failing_query
      - control: root_no_access_keys
"""

CLI_EXTRA_CONTROLS = {
    "labelled": "select 'arn:aws:iam::111111111111:root' as resource, 'info' as status, "
    "'label ' || :owner_label as reason, '111111111111' as account_id",
    "bad_status": "select 'r' as resource, 'passed' as status, 'x' as reason",
    "bad_columns": "select 'r' as resource, 'ok' as state",
    "failing_query": "select cast('id ' || account_id as integer) as resource, 'ok' as status, 'x' as reason from aws_account",
}


CLI_ROWS = {
    "aws_account": [
        {"account_id": "111111111111", "partition": "aws", "region": "global"},
        {"account_id": "222222222222", "partition": "aws", "region": "global"},
    ],
    "aws_iam_account_summary": [
        {"account_id": "111111111111", "partition": "aws", "region": "global", "account_access_keys_present": 0},
        {"account_id": "222222222222", "partition": "aws", "region": "global", "account_access_keys_present": 1},
    ],
    "aws_iam_credential_report": [
        {
            "account_id": "222222222222",
            "partition": "aws",
            "region": "global",
            "user_name": "<root_account>",
            "user_arn": "arn:aws:iam::222222222222:root",
            "generated_time": "2026-11-25T10:00:00Z",
            "access_key_1_active": True,
            "access_key_1_last_rotated": "2025-01-01T00:00:00Z",
            "access_key_1_last_used_date": "2026-11-20T12:00:00Z",
            "access_key_2_active": False,
        }
    ],
}
"""The rows of the command-line tests' snapshot: two accounts, one with a root access key."""


def cli_mod(root: Path) -> Path:
    """The command-line tests' mod in ``root``: root_no_access_keys beside controls that return a
    bad status, bad columns, or fail at run time."""
    copy_controls(root, ["root_no_access_keys"])
    files = {"mod.yaml": CLI_MOD_YAML}
    for name, sql in CLI_EXTRA_CONTROLS.items():
        files[f"controls/{name}.sql"] = sql
        title = name.replace("_", " ").capitalize()
        files[f"controls/{name}.yaml"] = f"title: {title}\ndescription: {title}.\nseverity: low\ndocs: {{rationale: r, remediation: m}}\n"
    return write_files(root, files)
