#!/usr/bin/env python3
"""``snapshot from-aws`` on moto, and rootwatch against Prowler end to end, before/after in one run.

    .venv/bin/python perf/aws_collect.py                         # every row, base = main
    .venv/bin/python perf/aws_collect.py --base 6d046c2 --rows collect
    .venv/bin/python perf/aws_collect.py --rows race --prowler-default
    .venv/bin/python perf/aws_collect.py --base 6d046c2 --rows race --scopes one-all --race-repeat 3

Rows (each measured for the base commit, checked out in a temporary ``git worktree`` by
``perf/side_by_side.py``'s ``base_worktree``, and for this checkout, taking turns, in the same run
on the same moto server):

* ``collect``: ``snapshot from-aws`` of ``--accounts`` accounts (default 10), every region moto
  enables, through an assumed role; wall seconds and the peak RSS of the rootwatch process. Then
  both checkouts capture the same moto state once more and every table is compared row for row
  (the proof that the faster collector captures the same thing).
* ``race``: collect + grade, rootwatch (``snapshot from-aws`` then ``benchmark run root``) against
  Prowler (its root-user checks, ``-c``), for 1 account in every region, 1 account in us-east-1 and
  ``--accounts`` accounts in every region. Prowler scans one account per run, so the accounts are
  scanned one after the other, as its users script it. With ``--prowler-default``, Prowler's
  default scope (every check) for the 1-account us-east-1 row too. ``--race-repeat N`` runs every
  side N times, turn about, and reports medians (wall and CPU seconds each on its own); the CPU
  ratio is printed beside the wall one, as the machine may be shared.

Fairness: moto's credential report has no ``<root_account>`` row, so a root check would find
nothing to grade. The server is ``perf/moto_root.py``: moto with its IAM backend patched in the
server process to put a root row (MFA off, an active access key) in every account's report. Both
tools read that one server, so both grade the same accounts and the same root rows. Before every
timed run moto is reset and the accounts are populated again, so each run starts with the
credential report not yet generated (its wait is part of every run, as on a first capture).

Prowler is installed on demand with pip into ``build/prowler-venv`` (never a dependency of
rootwatch); ``--prowler-version`` picks the release (default ``5.46.*``).

A benchmark, not a test: nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from side_by_side import REPO, base_worktree  # noqa: E402

PROWLER_VENV = REPO / "build" / "prowler-venv"
ROLE = "rootwatch-audit"
FIRST_ACCOUNT = 210000000000
ROOT_PATTERN = '{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && ($.eventType != "AwsServiceEvent") }'


def account_ids(count: int) -> list[str]:
    return [str(FIRST_ACCOUNT + n) for n in range(count)]


# ---- moto --------------------------------------------------------------------------------------


@contextmanager
def moto_server() -> Iterator[str]:
    """``perf/moto_root.py`` on a free loopback port; yields its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, str(REPO / "perf" / "moto_root.py"), str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    MOTO_PID[:] = [process.pid]
    try:
        url = process.stdout.readline().strip()  # type: ignore[union-attr]
        if not url:
            raise SystemExit("moto server did not start")
        yield url
    finally:
        process.stdin.close()  # type: ignore[union-attr]
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def reset_and_populate(url: str, accounts: Sequence[str]) -> None:
    """A fresh moto holding ``accounts``, each monitored as CIS asks (users, a multi-region trail to
    a log group, the root-usage filter, an alarm, a topic with a confirmed subscription)."""
    import boto3

    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()
    base = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    sts = base.client("sts", endpoint_url=url)
    for account in accounts:
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/setup", RoleSessionName="setup")["Credentials"]
        session = boto3.Session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], region_name="us-east-1")
        iam = session.client("iam", endpoint_url=url)
        iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
        for user in ("alice", "bob"):
            iam.create_user(UserName=user)
            iam.create_login_profile(UserName=user, Password="Correct-Horse-9!")
        iam.create_access_key(UserName="alice")
        iam.create_virtual_mfa_device(VirtualMFADeviceName="root-account-mfa-device")
        session.client("s3", endpoint_url=url).create_bucket(Bucket=f"trail-{account}")
        logs = session.client("logs", endpoint_url=url)
        logs.create_log_group(logGroupName="cloudtrail")
        cloudtrail = session.client("cloudtrail", endpoint_url=url)
        cloudtrail.create_trail(
            Name="main",
            S3BucketName=f"trail-{account}",
            IsMultiRegionTrail=True,
            CloudWatchLogsLogGroupArn=f"arn:aws:logs:us-east-1:{account}:log-group:cloudtrail:*",
            CloudWatchLogsRoleArn=f"arn:aws:iam::{account}:role/cloudtrail-logs",
        )
        cloudtrail.start_logging(Name="main")
        logs.put_metric_filter(
            logGroupName="cloudtrail",
            filterName="root-usage",
            filterPattern=ROOT_PATTERN,
            metricTransformations=[{"metricName": "RootUsage", "metricNamespace": "CISBenchmark", "metricValue": "1"}],
        )
        sns = session.client("sns", endpoint_url=url)
        topic = sns.create_topic(Name="root-alerts")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="security@example.com")
        session.client("cloudwatch", endpoint_url=url).put_metric_alarm(
            AlarmName="root-usage",
            MetricName="RootUsage",
            Namespace="CISBenchmark",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic],
        )


def aws_environment(directory: Path, url: str | None = None) -> dict[str, str]:
    """Fake credentials of moto's default account, reaching only loopback."""
    config, credentials = directory / "aws-config", directory / "aws-credentials"
    config.write_text("[default]\nregion = us-east-1\n")
    credentials.write_text("[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    # As installed: bytecode compiled once and kept (Prowler's venv has it from pip; a session that
    # sets PYTHONDONTWRITEBYTECODE would otherwise compile rootwatch's modules in every run).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        NO_COLOR="1",
    )
    if url:
        env["AWS_ENDPOINT_URL"] = url
    return env


# ---- running and measuring -----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    code: int
    cpu: float = 0.0
    """User + system CPU seconds of the process itself."""
    server_cpu: float = 0.0
    """CPU seconds the moto server spent meanwhile (answering this run's calls)."""


MOTO_PID: list[int] = []
"""The moto server's process id, to read its CPU time around a run."""


def _server_cpu() -> float:
    if not MOTO_PID:
        return 0.0
    fields = Path(f"/proc/{MOTO_PID[0]}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(command: Sequence[str], env: dict[str, str], *, cwd: Path | None = None, log: Path | None = None) -> Run:
    """Wall seconds, peak RSS (of the process itself) and exit code of ``command``."""
    out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    server_before = _server_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(list(command), env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if log:
        out.close()  # type: ignore[union-attr]
    return Run(seconds, usage.ru_maxrss / 1024, process.returncode, usage.ru_utime + usage.ru_stime, _server_cpu() - server_before)


@dataclass(frozen=True)
class Checkout:
    label: str
    runner: Path

    def rootwatch(self, *args: str) -> list[str]:
        return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(self.runner)!r}); from rootwatch.cli.main import main; sys.exit(main())", *args]


@contextmanager
def base_checkout(ref: str) -> Iterator[Checkout]:
    """``ref`` in a temporary worktree (``side_by_side.base_worktree``), as a checkout to run."""
    with tempfile.TemporaryDirectory(prefix="rootwatch-base-") as directory, base_worktree(ref, Path(directory) / "tree") as tree:
        yield Checkout(f"base {ref}", tree / "runner")


def compile_bytecode(checkout: Checkout) -> None:
    """Compile ``checkout``'s modules before any timed run, as ``pip install`` does: otherwise the
    first timed run of each checkout would also pay for compiling and writing them."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(checkout.runner)], env=env, check=True, stdout=subprocess.DEVNULL)


def capture_args(url: str, accounts: Sequence[str], regions: Sequence[str], out: Path) -> list[str]:
    args = ["snapshot", "from-aws", "--endpoint-url", url, "--role-name", ROLE, "-o", str(out), "--force", "--no-progress"]
    for account in accounts:
        args += ["--account-id", account]
    for region in regions:
        args += ["--region", region]
    return args


# ---- rows ----------------------------------------------------------------------------------------


def collect_row(checkouts: list[Checkout], url: str, accounts: list[str], work: Path, repeat: int) -> dict[str, list[Run]]:
    env = aws_environment(work)
    results: dict[str, list[Run]] = {c.label: [] for c in checkouts}
    for attempt in range(repeat):
        for checkout in checkouts if attempt % 2 == 0 else list(reversed(checkouts)):
            reset_and_populate(url, accounts)
            out = work / f"collect-{len(results[checkout.label])}.duckdb"
            result = run(checkout.rootwatch(*capture_args(url, accounts, (), out)), env, log=work / "collect.log")
            if result.code != 0:
                raise SystemExit(f"{checkout.label}: from-aws exited {result.code}; see {work / 'collect.log'}")
            results[checkout.label].append(result)
    return results


def same_rows(checkouts: list[Checkout], url: str, accounts: list[str], work: Path) -> str:
    """Both checkouts capture one moto state; every table's rows compared (sorted)."""
    import duckdb

    reset_and_populate(url, accounts)
    env = aws_environment(work)
    files = []
    for checkout in checkouts:
        out = work / f"same-{len(files)}.duckdb"
        result = run(checkout.rootwatch(*capture_args(url, accounts, (), out)), env, log=work / "same.log")
        if result.code != 0:
            raise SystemExit(f"{checkout.label}: from-aws exited {result.code}; see {work / 'same.log'}")
        files.append(out)
    tables: dict[str, list[list[tuple]]] = {}
    for path in files:
        con = duckdb.connect(str(path), read_only=True)
        for (name,) in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_name NOT LIKE 'rootwatch_snapshot%' ORDER BY 1").fetchall():
            # Without the trail times moto's GetTrailStatus sets to "now" on every call.
            rows = con.execute(f'SELECT COLUMNS(lambda c: NOT starts_with(c, \'latest_\')) FROM "{name}"').fetchall()
            tables.setdefault(name, []).append(sorted(rows, key=repr))
        con.close()
    differing = [name for name, copies in tables.items() if any(copy != copies[0] for copy in copies)]
    counted = sum(len(copies[0]) for copies in tables.values())
    if differing:
        return f"DIFFERENT rows in {', '.join(differing)} ({counted} rows compared)"
    return f"identical: {len(tables)} tables, {counted} rows"


def prowler_bin(version: str) -> Path:
    """``prowler`` of ``build/prowler-venv``, installed with pip when missing."""
    binary = PROWLER_VENV / "bin" / "prowler"
    if not binary.exists():
        print(f"installing prowler=={version} into {PROWLER_VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PROWLER_VENV)], check=True)
        subprocess.run([str(PROWLER_VENV / "bin" / "pip"), "install", "-q", f"prowler=={version}"], check=True)
    return binary


def prowler_version() -> str:
    found = subprocess.run([str(PROWLER_VENV / "bin" / "pip"), "show", "prowler"], capture_output=True, text=True).stdout
    return next((line.split(":", 1)[1].strip() for line in found.splitlines() if line.startswith("Version:")), "?")


PROWLER_ROOT_CHECKS = (
    "iam_avoid_root_usage",
    "iam_no_root_access_key",
    "iam_root_mfa_enabled",
    "iam_root_hardware_mfa_enabled",
    "iam_root_credentials_management_enabled",
    "cloudwatch_log_metric_filter_root_usage",
)
"""Prowler's checks of the root user (``prowler aws --list-checks`` names them), the counterpart
of rootwatch's ``root`` benchmark: root usage, access keys, MFA, hardware MFA, centralized root
access, and the CIS root-usage metric filter and alarm."""


def prowler_scan(binary: Path, url: str, accounts: list[str], regions: Sequence[str], work: Path, checks: Sequence[str] | None) -> tuple[Run, int]:
    """One Prowler run per account, one after the other: total seconds, max peak RSS, findings."""
    env = aws_environment(work, url)
    seconds, peak, findings, cpu = 0.0, 0.0, 0, 0.0
    for account in accounts:
        output = work / f"prowler-{account}"
        shutil.rmtree(output, ignore_errors=True)
        command = [str(binary), "aws", "--role", f"arn:aws:iam::{account}:role/{ROLE}", "--no-banner", "-M", "json-ocsf", "-o", str(output), "-F", "out"]
        if checks:
            command += ["-c", *checks]
        if regions:
            command += ["-f", *regions]
        result = run(command, env, log=work / f"prowler-{account}.log")
        if result.code not in (0, 3):  # 3: Prowler's exit when a check failed
            raise SystemExit(f"prowler exited {result.code}; see {work / f'prowler-{account}.log'}")
        seconds += result.seconds
        cpu += result.cpu
        peak = max(peak, result.peak_mb)
        found = output / "out.ocsf.json"
        findings += len(json.loads(found.read_text())) if found.exists() else 0
    return Run(seconds, peak, 0, cpu), findings


def rootwatch_end_to_end(checkout: Checkout, url: str, accounts: list[str], regions: Sequence[str], work: Path) -> tuple[Run, int]:
    env = aws_environment(work)
    out = work / "race.duckdb"
    collect = run(checkout.rootwatch(*capture_args(url, accounts, regions, out)), env, log=work / "race-collect.log")
    if collect.code != 0:
        raise SystemExit(f"{checkout.label}: from-aws exited {collect.code}; see {work / 'race-collect.log'}")
    export = work / "race.json"
    grade = run(checkout.rootwatch("benchmark", "run", "root", "--snapshot", str(out), "--output", "none", "--export", str(export), "--no-progress"), env, cwd=checkout.runner.parent, log=work / "race-grade.log")
    if grade.code not in (0, 1, 2):  # 2: some control graded "error" (moto lacks a call); the run is complete
        raise SystemExit(f"{checkout.label}: benchmark run exited {grade.code}: {(work / 'race-grade.log').read_text()[-1500:]}")
    graded = _count_results(json.loads(export.read_text()))
    return Run(collect.seconds + grade.seconds, max(collect.peak_mb, grade.peak_mb), 0, collect.cpu + grade.cpu), graded


def _count_results(tree: object) -> int:
    """Result rows in a rootwatch JSON export (every ``results`` list, however deep)."""
    if isinstance(tree, dict):
        return len(tree.get("results") or []) + sum(_count_results(v) for k, v in tree.items() if k != "results")
    if isinstance(tree, list):
        return sum(_count_results(v) for v in tree)
    return 0


SCOPES = ("one-all", "one-us-east-1", "many-all")


def _median_run(runs: Sequence[Run]) -> Run:
    """Median wall seconds and median CPU seconds of ``runs`` (each on its own), largest peak RSS."""
    return Run(statistics.median(r.seconds for r in runs), max(r.peak_mb for r in runs), 0, statistics.median(r.cpu for r in runs))


def race_rows(
    checkouts: list[Checkout], binary: Path | None, url: str, accounts: list[str], work: Path, default_scope: bool, chosen: Sequence[str] = SCOPES, repeat: int = 1
) -> list[str]:
    every = {
        "one-all": ("1 account, all regions", accounts[:1], ()),
        "one-us-east-1": ("1 account, us-east-1", accounts[:1], ("us-east-1",)),
        "many-all": (f"{len(accounts)} accounts, all regions", accounts, ()),
    }
    scopes = [every[name] for name in chosen]
    lines = []
    for name, scope_accounts, regions in scopes:
        runs: dict[str, list[Run]] = {c.label: [] for c in checkouts}
        graded: dict[str, int] = {}
        prowler_runs: list[Run] = []
        findings = 0
        for attempt in range(repeat):
            # Taking turns, so that a busy spell of the shared machine does not fall on one side only.
            for checkout in checkouts if attempt % 2 == 0 else list(reversed(checkouts)):
                reset_and_populate(url, scope_accounts)
                result, graded[checkout.label] = rootwatch_end_to_end(checkout, url, scope_accounts, regions, work)
                runs[checkout.label].append(result)
            if binary is not None:
                reset_and_populate(url, scope_accounts)
                result, findings = prowler_scan(binary, url, scope_accounts, regions, work, PROWLER_ROOT_CHECKS)
                prowler_runs.append(result)
        times = {label: _median_run(r) for label, r in runs.items()}
        median = f" (medians of {repeat})" if repeat > 1 else ""
        parts = [f"rootwatch {label} {r.seconds:6.1f} s, {r.cpu:.1f} s CPU ({graded[label]} results)" for label, r in times.items()]
        if binary is not None:
            prowler = _median_run(prowler_runs)
            after, before = times[checkouts[-1].label], times[checkouts[0].label]
            parts.append(f"prowler root checks {prowler.seconds:6.1f} s, {prowler.cpu:.1f} s CPU ({findings} findings)")
            parts.append(f"prowler/rootwatch now {prowler.seconds / before.seconds:5.1f}x, after {prowler.seconds / after.seconds:5.1f}x")
            parts.append(f"in CPU seconds now {prowler.cpu / max(before.cpu, 0.01):5.1f}x, after {prowler.cpu / max(after.cpu, 0.01):5.1f}x")
            if default_scope and regions == ("us-east-1",):
                reset_and_populate(url, scope_accounts)
                full, full_findings = prowler_scan(binary, url, scope_accounts, regions, work, None)
                parts.append(f"prowler default scope {full.seconds:6.1f} s ({full_findings} findings, {full.seconds / after.seconds:5.1f}x)")
        lines.append(f"{name:26} " + "; ".join(parts) + median)
        print(lines[-1], flush=True)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="main", help="commit to compare with (default: main)")
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--rows", default="collect,race", help="comma-separated: collect, race")
    parser.add_argument("--repeat", type=int, default=2, help="timed captures per checkout in the collect row (best counts)")
    parser.add_argument("--race-repeat", type=int, default=1, help="runs of each side per race row, turn about, Prowler's too (medians count)")
    parser.add_argument("--scopes", default=",".join(SCOPES), help=f"race rows, comma-separated: {', '.join(SCOPES)}")
    parser.add_argument("--prowler-version", default="5.46.*")
    parser.add_argument("--no-prowler", action="store_true", help="race rootwatch before/after only")
    parser.add_argument("--prowler-default", action="store_true", help="also Prowler's default scope (every check), 1 account in us-east-1")
    args = parser.parse_args()
    rows = set(args.rows.split(","))
    accounts = account_ids(args.accounts)
    binary = None if args.no_prowler or "race" not in rows else prowler_bin(args.prowler_version)
    with tempfile.TemporaryDirectory(prefix="rootwatch-aws-perf-") as scratch, base_checkout(args.base) as base, moto_server() as url:
        work = Path(scratch)
        checkouts = [base, Checkout("after", REPO / "runner")]
        for checkout in checkouts:
            compile_bytecode(checkout)
        print(f"moto at {url} (root rows seeded); {args.accounts} accounts; base {args.base}", flush=True)
        if "collect" in rows:
            results = collect_row(checkouts, url, accounts, work, args.repeat)
            best = {label: min(runs, key=lambda r: r.seconds) for label, runs in results.items()}
            peak = {label: max(r.peak_mb for r in runs) for label, runs in results.items()}
            now, after = best[base.label], best["after"]
            print(
                f"from-aws {args.accounts} accounts, all regions: now {now.seconds:5.1f} s, RSS {peak[base.label]:4.0f} MB; "
                f"after {after.seconds:5.1f} s, RSS {peak['after']:4.0f} MB; {now.seconds / after.seconds:4.1f}x faster",
                flush=True,
            )
            for label, runs in results.items():
                print(f"  {label}: " + ", ".join(f"{r.seconds:.1f} s wall / {r.cpu:.1f} s rootwatch CPU / {r.server_cpu:.1f} s moto CPU" for r in runs), flush=True)
            print(f"  rootwatch CPU: now {now.cpu:.1f} s, after {after.cpu:.1f} s ({now.cpu / max(after.cpu, 0.01):.1f}x less)", flush=True)
            print(f"captured tables, base vs after on one moto state: {same_rows(checkouts, url, accounts, work)}", flush=True)
        if "race" in rows:
            if binary is not None:
                print(f"prowler {prowler_version()} ({PROWLER_VENV}), checks: {' '.join(PROWLER_ROOT_CHECKS)}", flush=True)
            for checkout in checkouts:
                # Untimed: fills rootwatch's per-user cache (digests of the mod's validated YAML) for
                # this checkout's files, as any earlier run would; a fresh base worktree starts cold.
                reset_and_populate(url, accounts[:1])
                rootwatch_end_to_end(checkout, url, accounts[:1], ("us-east-1",), work)
            race_rows(checkouts, binary, url, accounts, work, args.prowler_default, args.scopes.split(","), args.race_repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
