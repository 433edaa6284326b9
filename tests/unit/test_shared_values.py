"""Equal values a run holds until its end are held once: the texts of graded rows
(rootwatch.grading.grade with a run's shared values), where the engine hands back a new string per
row and at 10,000 accounts most of 110,000 rows repeat a reason, a resource or a dimension another
row holds; and the snapshot's per-account region lists, mostly the same list."""

from __future__ import annotations

from pathlib import Path

from rootwatch import api
from rootwatch.engines.base import QueryResult
from rootwatch.engines.duckdb_engine import DuckDBEngine
from rootwatch.grading import grade
from rootwatch.snapshot.from_files import build_from_directory

REPO = Path(__file__).resolve().parents[2]


def _fresh(text: str) -> str:
    """An equal string that is another object (as each row the engine returns brings its own)."""
    copy = "".join(list(text))
    assert copy == text and copy is not text
    return copy


def test_equal_reasons_and_dimensions_of_a_result_are_one_object() -> None:
    reason = "Root user has no access keys."
    rows = [
        (f"arn:aws:iam::{n}:root", "ok", _fresh(reason), _fresh(str(n)), _fresh("us-east-1")) for n in (111, 222, 333)
    ]
    graded = grade("c", QueryResult(("resource", "status", "reason", "account_id", "region"), rows))

    assert graded.error is None
    assert [r.reason for r in graded.rows] == [reason] * 3
    assert all(r.reason is graded.rows[0].reason for r in graded.rows)
    assert [r.dimensions for r in graded.rows] == [
        (("account_id", str(n)), ("region", "us-east-1")) for n in (111, 222, 333)
    ]
    regions = [r.dimensions[1] for r in graded.rows]
    assert all(pair is regions[0] for pair in regions)


def test_values_shared_across_results_of_one_run_are_one_object() -> None:
    shared: dict = {}
    columns = ("resource", "status", "reason", "account_id")
    first = grade("a", QueryResult(columns, [("arn:aws:iam::111:root", "ok", "fine", "111")]), shared)
    second = grade("b", QueryResult(columns, [(_fresh("arn:aws:iam::111:root"), "alarm", "not fine", _fresh("111"))]), shared)

    assert second.rows[0].resource == "arn:aws:iam::111:root"
    assert second.rows[0].resource is first.rows[0].resource
    assert second.rows[0].dimensions is first.rows[0].dimensions
    assert (second.rows[0].status.value, second.rows[0].reason) == ("alarm", "not fine")


def test_a_run_shares_each_accounts_resource_among_its_controls(tmp_path: Path) -> None:
    snapshot = tmp_path / "example.duckdb"
    build_from_directory(REPO / "examples" / "org", snapshot)
    mod = api.load_mod(REPO)
    engine = DuckDBEngine.open(snapshot)
    try:
        result = api.run_benchmarks(mod, engine, ["root"], api.RunOptions(variables=api.resolve_variables(mod)))
    finally:
        engine.close()

    by_resource: dict[str, set[int]] = {}
    controls: dict[str, set[str]] = {}
    for _, run in result.control_runs():
        for row in run.rows:
            by_resource.setdefault(row.resource, set()).add(id(row.resource))
            controls.setdefault(row.resource, set()).add(run.node.id)
    repeated = {resource for resource, ids in controls.items() if len(ids) > 1}
    assert len(repeated) >= 5  # every account's root user, in most controls
    assert all(len(by_resource[resource]) == 1 for resource in repeated)


def test_accounts_listing_the_same_regions_share_one_tuple(tmp_path: Path) -> None:
    snapshot = tmp_path / "example.duckdb"
    build_from_directory(REPO / "examples" / "org", snapshot)
    engine = DuckDBEngine.open(snapshot)
    try:
        info = engine.snapshot_info()
    finally:
        engine.close()

    assert info is not None
    by_list: dict[tuple[str, ...], set[int]] = {}
    for account in info.accounts:
        by_list.setdefault(account.regions, set()).add(id(account.regions))
    assert len(info.accounts) > len(by_list)  # the example's accounts repeat a list
    assert all(len(ids) == 1 for ids in by_list.values())
