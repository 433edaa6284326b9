"""A small loadable mod and DuckDB snapshots built in a test's own directory.

Used by the command-line tests of exports, ``--where``/``--status`` and ``rootwatch diff``, so they
do not depend on the repository's mod (whose controls are still being written) or on files outside
the test's tmp_path. tests/cli/ loads this file by path (see ``load_scratch`` there).
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CAPTURED_AT = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)

MOD_YAML = """\
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
  cis_v700:
    title: CIS v7
    cis_version: v7.0.0
    children:
      - section: "2"
        title: IAM
        items:
          - {{item: "2.4", title: "Ensure no root access key", level: 1, type: automated, control: root_no_access_keys}}
          - {{item: "2.5", title: "Ensure root MFA", level: 1, type: automated}}
          - {{item: "2.9", title: "Account is listed", level: 2, type: manual, control: account_listed}}
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


def _meta(title: str, severity: str, service: str) -> str:
    return textwrap.dedent(
        f"""\
        title: {title}
        description: {title}, for the command-line tests.
        severity: {severity}
        tags:
          service: {service}
        docs:
          rationale: Tests need a second control.
          remediation: Nothing to do.
        """
    )


def copy_control(name: str, controls: Path) -> None:
    """Copy the repository's control ``name`` (SQL and YAML) into ``controls``, with the shared
    relations it reads into ``controls/relations``."""
    from rootwatch.mod.loader import load_mod
    from rootwatch.sql.relations import used_relations

    control = load_mod(REPO).control(name)
    shutil.copy(control.sql_path, controls)
    shutil.copy(control.meta_path, controls)
    (controls / "relations").mkdir(parents=True, exist_ok=True)
    for relation in used_relations(control.source):
        shutil.copy(relation.path, controls / "relations")


def make_mod(directory: Path, *, broken: bool = False) -> Path:
    """Write a mod to ``directory``: the repository's root_no_access_keys control (and the shared
    relations), an ``info``
    control (severity low) and, with ``broken``, a control that always errors."""
    controls = directory / "controls"
    controls.mkdir(parents=True, exist_ok=True)
    copy_control("root_no_access_keys", controls)
    (relations := controls / "relations").mkdir(exist_ok=True)
    shutil.copy(REPO / "controls" / "relations" / "accounts.sql", relations)  # read by account_listed
    (controls / "account_listed.sql").write_text(ACCOUNT_LISTED_SQL)
    (controls / "account_listed.yaml").write_text(_meta("Account is listed", "low", "AWS/Organizations"))
    if broken:
        (controls / "broken_status.sql").write_text(BROKEN_SQL)
        (controls / "broken_status.yaml").write_text(_meta("Broken status", "medium", "AWS/IAM"))
    (directory / "mod.yaml").write_text(MOD_YAML.format(broken="      - control: broken_status" if broken else ""))
    return directory


def make_snapshot(path: Path, keys_by_account: Mapping[str, int]) -> Path:
    """A snapshot of accounts with ``keys_by_account[account]`` root access keys each (no
    credential report, so an alarm's reason says which report is missing)."""
    from rootwatch.snapshot.metadata import AccountInfo
    from rootwatch.snapshot.writer import SnapshotWriter

    with SnapshotWriter(path, source="test", captured_at=CAPTURED_AT) as writer:
        writer.add_rows(
            "aws_account", [{"account_id": a, "partition": "aws", "region": "global"} for a in keys_by_account]
        )
        writer.add_rows(
            "aws_iam_account_summary",
            [
                {"account_id": a, "partition": "aws", "region": "global", "account_access_keys_present": keys}
                for a, keys in keys_by_account.items()
            ],
        )
        for account in keys_by_account:
            writer.add_account(AccountInfo(account, ("us-east-1",)))
    return path
