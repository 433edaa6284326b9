"""Name resolution (rootwatch.mod.ids), the run plan (rootwatch.plan) and the words for people
(rootwatch.wording), on the real mod: each decided once, in one place."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from rootwatch import api
from rootwatch.errors import UnknownNameError, UsageError, VariableError
from rootwatch.mod.ids import benchmark_targets, control_targets, resolve_control, resolve_query, split_name
from rootwatch.options import RunOptions
from rootwatch.selection import where_predicate
from rootwatch.wording import controls_phrase, duration, instant, plural, ranges

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mod():
    return api.load_mod(REPO)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cis_v700_2_4", (None, "cis_v700_2_4")),
        ("rootwatch.control.cis_v700_2_4", ("control", "cis_v700_2_4")),
        ("control.cis_v700_2_4", ("control", "cis_v700_2_4")),
        ("rootwatch.benchmark.cis_v400", ("benchmark", "cis_v400")),
        ("rootwatch/root_mfa_enabled", ("control", "root_mfa_enabled")),
        ("rootwatch.query.root_activity", ("query", "root_activity")),
        ("other_mod.control.x", (None, "other_mod.control.x")),  # another mod's id is not ours
        (" cis_v700 ", (None, "cis_v700")),
    ],
)
def test_split_name(name: str, expected: tuple) -> None:
    assert split_name(name) == expected


def test_items_resolve_to_their_benchmark_node(mod) -> None:
    node = resolve_control(mod, "rootwatch.control.cis_v400_1_4")
    assert (node.id, node.control.id, node.tags["cis_version"], node.tags["cis_item_id"]) == (
        "cis_v400_1_4", "root_no_access_keys", "v4.0.0", "1.4",
    )  # fmt: skip
    plain = resolve_control(mod, "root_no_access_keys")
    assert plain.id == "root_no_access_keys" and "cis_version" not in plain.tags
    assert resolve_control(mod, "cis_v700_2_2").control is None  # not assessed, still a control node
    assert resolve_query(mod, "rootwatch.query.root_activity").name == "root_activity"


def test_all_and_duplicates(mod) -> None:
    assert [b.id for b in benchmark_targets(mod, ["all"])] == list(mod.benchmarks)
    assert [b.id for b in benchmark_targets(mod, ["cis_v700", "rootwatch.benchmark.cis_v700"])] == ["cis_v700"]
    assert [c.id for c in control_targets(mod, ["all"])] == list(mod.controls)
    with pytest.raises(UnknownNameError, match="unknown control 'cis_v700_2_99'"):
        control_targets(mod, ["cis_v700_2_99"])
    with pytest.raises(UsageError, match="'root_mfa_enabled' is a control, not a benchmark"):
        benchmark_targets(mod, ["root_mfa_enabled"])


def test_plan_selects_once_and_counts(mod) -> None:
    targets = benchmark_targets(mod, ["cis_v700"])
    plan = api.plan_run(targets, RunOptions(variables=api.resolve_variables(mod)))
    assert (len(plan.nodes), plan.assessed, plan.not_assessed, len(plan.controls)) == (71, 8, 63, 8)
    narrowed = api.plan_run(targets, RunOptions(variables=api.resolve_variables(mod), tags=(("cis_item_id", "2.4"),)))
    assert [n.id for n in narrowed.nodes] == ["cis_v700_2_4"] and list(narrowed.controls) == ["root_no_access_keys"]
    with pytest.raises(UsageError) as caught:
        api.plan_run(targets, RunOptions(variables=api.resolve_variables(mod), select=where_predicate(["severity = 'low'", "title like 'x%'"])))
    assert str(caught.value).startswith(
        "no control of cis_v700 matches --where \"severity = 'low'\" and --where \"title like 'x%'\""
    )


def test_a_variable_without_a_value_is_one_error_before_anything_runs(mod) -> None:
    targets = control_targets(mod, ["root_not_used_recently"])
    with pytest.raises(VariableError) as caught:
        api.plan_run(targets, RunOptions(variables={}))
    assert str(caught.value) == (
        "control root_not_used_recently uses :root_recent_days, which has no value\n"
        "  hint: declare variable 'root_recent_days' in mod.yaml or pass --var root_recent_days=VALUE"
    )


def test_library_functions_take_names_or_objects(mod, tmp_path: Path) -> None:
    from rootwatch.snapshot.from_files import build_from_directory

    snapshot = tmp_path / "org.duckdb"
    build_from_directory(REPO / "examples" / "org", snapshot)
    options = RunOptions(variables=api.resolve_variables(mod))
    with api.open_engine(api.DataSource(snapshot=snapshot)) as engine:
        by_name = api.run_benchmarks(mod, engine, ["rootwatch.benchmark.root"], options)
        by_object = api.run_plan(engine, api.plan_run(api.benchmark_targets(mod, ["root"]), options))
        by_targets = api.run_targets(engine, api.benchmark_targets(mod, ["root"]), options)
    assert by_name.summary == by_object.summary == by_targets.summary
    assert by_name.context.account_names["333333333333"] == "example-legacy"
    activity = by_name.context.root_activity
    assert activity is not None and sum(day.total for day in activity) == 5
    assert {day.credential for day in activity} == {"password", "root access key", "centralized root session"}


def test_not_assessed_is_a_field_not_a_reason_prefix(mod) -> None:
    from rootwatch.execution import _not_assessed
    from rootwatch.results import ControlRun, ResultRow
    from rootwatch.status import Status

    node = resolve_control(mod, "cis_v700_2_2")
    assert _not_assessed(node).not_assessed
    # A hand-built run of a node without a control is not assessed whatever its reason says.
    assert ControlRun(node, (ResultRow(node.id, Status.SKIP, "anything"),)).not_assessed
    graded = resolve_control(mod, "cis_v700_2_4")
    assert not ControlRun(graded, (ResultRow("r", Status.SKIP, "not assessed by this mod (looks alike)"),)).not_assessed


def test_words_for_people() -> None:
    assert [plural(n, "control") for n in (0, 1, 2)] == ["0 controls", "1 control", "2 controls"]
    assert plural(3, "query", "queries") == "3 queries"
    assert [duration(s) for s in (40, 18 * 60, 5 * 3600 + 20 * 60, 3 * 3600, 345 * 3600 + 240)] == [
        "40 s", "18 min", "5 h 20 min", "3 h", "14 days",
    ]  # fmt: skip
    moment = datetime(2026, 11, 20, 9, 0, 0, 123456, tzinfo=timezone.utc)
    assert instant(moment) == "2026-11-20 09:00 UTC"
    assert instant(moment.replace(second=5)) == "2026-11-20 09:00:05 UTC"
    assert instant(moment.astimezone(timezone(timedelta(hours=2)))) == "2026-11-20 11:00 UTC+0200"
    assert controls_phrase(71, 63) == "71 controls (8 assessed, 63 not assessed)" and controls_phrase(10, 0) == "10 controls"
    order = ["2.1", "2.2", "2.3", "2.4", "2.8", "2.9", "2.10", "2.11"]
    assert ranges(["2.2", "2.3", "2.8", "2.9", "2.10", "2.11"], order) == "2.2, 2.3, 2.8 to 2.11"
