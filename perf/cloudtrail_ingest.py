"""CloudTrail log ingestion speed: ``rootwatch snapshot from-files`` now (a base commit) and after
(this tree) against ``zcat`` on the same files, side by side in one run.

Generates realistic synthetic CloudTrail logs (gzip ``{"Records": [...]}`` files in the S3 layout,
several accounts and regions, a mix of management and data events, a configurable share of root
activity) into ``build/`` (kept: later runs reuse them), checks each earlier commit out into a
temporary ``git worktree`` (``side_by_side.base_worktree``) and times, alternating, pinned to the
same CPUs:

* ``zcat FILES > /dev/null``: just decompressing them (one core);
* ``rootwatch snapshot from-files DIR -o FILE`` of each earlier commit (``--base``, repeatable) and
  of this tree, root activity (the default) and, with ``--all-events``, every record. A command
  whose process tree grows past ``--rss-limit-mb`` is stopped (and reported so): a load that runs
  away must not take the shared machine's memory with it.

For each: seconds (median), rate relative to zcat's, cores kept busy (CPU seconds over wall
seconds), per core (its rate per CPU second against zcat's: zcat's CPU seconds over its own; on a
loaded machine the figure to trust, as wall times then measure the neighbours too), peak RSS of its whole process tree (sampled;
workers included) and the snapshot's size; then after against each earlier commit, with whether
the events tables hold the same rows. Targets (issue 14): root activity at least 1.0x zcat per core;
every record at least zcat's rate with RSS at most 1 GB. Not part of the test suite::

    python perf/cloudtrail_ingest.py --size-mb 400 --cpus 2 --base 6d046c2 --base main --all-events
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from side_by_side import base_worktree  # noqa: E402  (perf/ is not a package)

ACCOUNTS = ["111111111111", "222222222222", "333333333333", "444444444444"]
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"]
AGENTS = [
    "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard",
    "Boto3/1.35.60 md/Botocore#1.35.60 ua/2.0 os/linux#5.10.228 md/arch#x86_64 lang/python#3.11.10 md/pyimpl#CPython cfg/retry-mode#legacy",
    "aws-sdk-go-v2/1.32.4 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/s3#1.66.3",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "config.amazonaws.com",
]
# (eventSource, eventName, readOnly, category, management)
EVENTS = [
    ("s3.amazonaws.com", "GetObject", True, "Data", False),
    ("s3.amazonaws.com", "PutObject", False, "Data", False),
    ("ec2.amazonaws.com", "DescribeInstances", True, "Management", True),
    ("sts.amazonaws.com", "AssumeRole", True, "Management", True),
    ("kms.amazonaws.com", "Decrypt", True, "Management", True),
    ("iam.amazonaws.com", "ListRoles", True, "Management", True),
    ("lambda.amazonaws.com", "Invoke", False, "Data", False),
    ("logs.amazonaws.com", "CreateLogStream", False, "Management", True),
]


def _record(rng: random.Random, account: str, region: str, root: bool) -> dict:
    source, name, read_only, category, management = rng.choice(EVENTS)
    if root:
        identity: dict = {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account}
        if rng.random() < 0.3:
            identity["accessKeyId"] = "AKIA" + uuid.UUID(int=rng.getrandbits(128)).hex[:16].upper()
    else:
        session = uuid.UUID(int=rng.getrandbits(128)).hex[:12]
        identity = {
            "type": "AssumedRole", "principalId": f"AROAEXAMPLEROLE{rng.randint(10, 99)}:{session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/App{rng.randint(1, 20)}/{session}", "accountId": account,
            "accessKeyId": "ASIA" + uuid.UUID(int=rng.getrandbits(128)).hex[:16].upper(),
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEROLE", "arn": f"arn:aws:iam::{account}:role/App",
                                  "accountId": account, "userName": "App"},
                "attributes": {"creationDate": "2026-11-18T07:58:00Z", "mfaAuthenticated": "false"},
            },
        }
    record = {
        "eventVersion": "1.11", "userIdentity": identity, "eventTime": "{T}", "eventSource": source, "eventName": name,
        "awsRegion": region, "sourceIPAddress": f"198.51.100.{rng.randint(1, 254)}", "userAgent": rng.choice(AGENTS),
        "requestParameters": {"bucketName": f"bucket-{rng.randint(1, 40)}", "key": f"data/{uuid.UUID(int=rng.getrandbits(128))}.parquet",
                              "Host": f"bucket.s3.{region}.amazonaws.com"} if source == "s3.amazonaws.com" else
                             {"maxResults": 100, "filterSet": {}} if read_only else {"name": f"item-{rng.randint(1, 10**6)}"},
        "responseElements": None if read_only else {"requestId": str(uuid.UUID(int=rng.getrandbits(128)))},
        "additionalEventData": {"SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256",
                                "bytesTransferredIn": 0, "bytesTransferredOut": rng.randint(1, 10**7)},
        "requestID": uuid.UUID(int=rng.getrandbits(128)).hex[:20].upper(), "eventID": "{I}", "readOnly": read_only,
        "resources": [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::bucket/data/{rng.randint(1, 10**9)}"}],
        "eventType": "AwsApiCall", "managementEvent": management, "recipientAccountId": account, "eventCategory": category,
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com"},
    }
    if rng.random() < 0.05:
        record["errorCode"], record["errorMessage"] = "AccessDenied", "User is not authorized to perform this operation"
    return record


def _write_files(job: tuple[Path, int, int, float, int]) -> tuple[int, int, int]:
    """Write files until ``budget`` compressed bytes; returns (files, records, uncompressed bytes)."""
    root, seed, budget, root_share, worker = job
    rng = random.Random(seed)
    pool = {(a, r): [json.dumps(_record(rng, a, r, False), separators=(",", ":")) for _ in range(300)] for a in ACCOUNTS for r in REGIONS}
    root_pool = {(a, r): [json.dumps(_record(rng, a, r, True), separators=(",", ":")) for _ in range(20)] for a in ACCOUNTS for r in REGIONS}
    written = files = records = raw = 0
    start = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(days=worker * 200)
    while written < budget:
        account, region = rng.choice(ACCOUNTS), rng.choice(REGIONS)
        moment = start + timedelta(minutes=5 * files)
        count = rng.randint(200, 1200)
        parts = []
        for index in range(count):
            chosen = rng.choice(root_pool[(account, region)] if rng.random() < root_share else pool[(account, region)])
            stamp = (moment + timedelta(seconds=index % 300)).strftime("%Y-%m-%dT%H:%M:%SZ")
            parts.append(chosen.replace("{T}", stamp, 1).replace("{I}", str(uuid.UUID(int=rng.getrandbits(128))), 1))
        body = ('{"Records":[' + ",".join(parts) + "]}").encode()
        folder = root / "AWSLogs" / account / "CloudTrail" / region / moment.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{account}_CloudTrail_{region}_{moment.strftime('%Y%m%dT%H%MZ')}_{worker}{uuid.UUID(int=rng.getrandbits(128)).hex[:14]}.json.gz"
        path.write_bytes(gzip.compress(body, compresslevel=6))
        written += path.stat().st_size
        files += 1
        records += count
        raw += len(body)
    return files, records, raw


def generate(root: Path, size_mb: float, root_share: float, workers: int) -> tuple[int, int, int, int]:
    budget = int(size_mb * 1e6 / workers)
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_write_files, [(root, 1000 + w, budget, root_share, w) for w in range(workers)]))
    compressed = sum(p.stat().st_size for p in root.rglob("*.json.gz"))
    return sum(r[0] for r in results), sum(r[1] for r in results), sum(r[2] for r in results), compressed


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    peak_rss: int
    size: int


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and every descendant (0 for one that is gone)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending += [int(c) for c in children.read().split()]
        except (OSError, ValueError):
            continue
    return total


class Failed(Exception):
    """A measured command exited non-zero (the earlier commit on input it cannot load), or was
    stopped past the RSS limit."""


def generate_single(path: Path, size_mb: float, root_share: float) -> int:
    """One log file of ``size_mb`` MB of JSON on a single line, as CloudTrail writes a big one."""
    rng = random.Random(7)
    account, region = ACCOUNTS[0], REGIONS[0]
    pool = [json.dumps(_record(rng, account, region, False), separators=(",", ":")) for _ in range(300)]
    root_pool = [json.dumps(_record(rng, account, region, True), separators=(",", ":")) for _ in range(20)]
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with gzip.open(path, "wb", compresslevel=1) as out:
        out.write(b'{"Records":[')
        first = True
        while written < size_mb * 1e6:
            chosen = rng.choice(root_pool if rng.random() < root_share else pool)
            text = chosen.replace("{T}", "2026-01-01T00:00:00Z", 1).replace("{I}", str(uuid.UUID(int=rng.getrandbits(128))), 1)
            data = ("" if first else ",").encode() + text.encode()
            out.write(data)
            written += len(data)
            first = False
        out.write(b"]}")
    return written


def timed(command: list[str], cpus: set[int], env: dict[str, str] | None = None, output: Path | None = None,
          rss_limit: int = 0) -> Run:
    """One run of ``command`` pinned to ``cpus``: wall and CPU seconds, peak tree RSS, output size.

    Past ``rss_limit`` bytes of tree RSS (0: no limit) the command's process group is killed and
    Failed raised."""
    if output is not None:
        output.unlink(missing_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True,
                               preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss(process.pid))
            if rss_limit and peak[0] > rss_limit:
                os.killpg(process.pid, signal.SIGKILL)
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stderr = process.stderr.read().decode() if process.stderr else ""
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if rss_limit and peak[0] > rss_limit:
        raise Failed(f"stopped after {elapsed:.0f} s at {peak[0] / 1e6:,.0f} MB of RSS (limit {rss_limit / 1e6:,.0f} MB)")
    if os.waitstatus_to_exitcode(status) != 0:
        raise Failed(f"exit {os.waitstatus_to_exitcode(status)}: {stderr.strip().splitlines()[-1] if stderr.strip() else ''}")
    size = output.stat().st_size if output is not None and output.exists() else 0
    return Run(elapsed, usage.ru_utime + usage.ru_stime, max(peak[0], usage.ru_maxrss * 1024), size)


def same_rows(before: Path, after: Path) -> str:
    """Whether two snapshots hold the same aws_cloudtrail_trail_event rows, every column compared as
    text: per log file, the number of rows and the sum and XOR of their rows' hashes on each side.

    Not an EXCEPT ALL over the tables: with every record of 400 MB of logs (4.7 GB of JSON text per
    side, held whole by it) that took 20 GB and the machine's OOM killer took the script. One pass
    per side, grouped by file, holds a few numbers per file."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": "2GB"})
    try:
        con.execute("SET enable_progress_bar = false")  # a connection setting: connect() refuses it
        con.execute(f"ATTACH '{before}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{after}' AS b (READ_ONLY)")
        columns = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE database_name = 'a' "
                                             "AND table_name = 'aws_cloudtrail_trail_event' ORDER BY column_index").fetchall()]
        row = "hash(" + ", ".join(f'CAST("{c}" AS VARCHAR)' for c in columns) + ")"
        sides = [
            dict((key, rest) for key, *rest in con.execute(
                f"SELECT log_stream_name, count(*), sum({row}), bit_xor({row}) FROM {side}.aws_cloudtrail_trail_event "
                "GROUP BY log_stream_name").fetchall())
            for side in ("a", "b")
        ]
        total = sum(count for count, _, _ in sides[0].values())
        counts = [sum(sides[0][k][0] for k in sides[0] if sides[0][k] != sides[1].get(k)),
                  sum(sides[1][k][0] for k in sides[1] if sides[1][k] != sides[0].get(k))]
    finally:
        con.close()
    return (f"identical ({total:,} rows)" if counts == [0, 0]
            else f"DIFFER: the files of {counts[0]} rows before and {counts[1]} after have other rows")


def _environment(tree: Path) -> dict[str, str]:
    """The environment of a rootwatch run from ``tree`` (a ``runner/`` folder): as installed, with
    bytecode compiled once and kept (a session that sets PYTHONDONTWRITEBYTECODE would otherwise
    compile every module from source in every run and every worker, on every side)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=400, help="compressed size of the generated logs (default: 400)")
    parser.add_argument("--root-share", type=float, default=0.005, help="share of records made by root (default: 0.005)")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs every command is pinned to (default: 2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (default: 3; the median counts)")
    parser.add_argument("--all-events", action="store_true", help="also time --cloudtrail-events all")
    parser.add_argument("--all-repeat", type=int, default=1, metavar="N",
                        help="runs of each --cloudtrail-events all command (default: 1, it is long; the median counts)")
    parser.add_argument("--base", action="append", metavar="REV",
                        help="an earlier commit to measure beside this tree (repeatable; default: main)")
    parser.add_argument("--rss-limit-mb", type=float, default=4000,
                        help="stop a command whose process tree passes this RSS (default: 4000; 0: no limit)")
    parser.add_argument("--single-file-mb", type=float, metavar="MB",
                        help="instead: one log file of MB megabytes of JSON on one line, each side's time and peak RSS")
    parser.add_argument("--data", metavar="DIR", help="where the logs are generated and kept (default: build/cloudtrail-<size>mb)")
    args = parser.parse_args()
    args.base = args.base or ["main"]
    repo = Path(__file__).resolve().parents[1]
    cpus = set(sorted(os.sched_getaffinity(0))[: args.cpus])
    work = Path(tempfile.mkdtemp(prefix="rootwatch-ingest-", dir=repo / "build"))
    try:
        with contextlib.ExitStack() as stack:
            trees = {rev: stack.enter_context(base_worktree(rev, work / f"base-{index}")) / "runner"
                     for index, rev in enumerate(args.base)}
            trees["after"] = repo / "runner"
            if args.single_file_mb:
                return single_file(args, repo, cpus, trees, work)
            return side_by_side(args, repo, cpus, trees, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def side_by_side(args: argparse.Namespace, repo: Path, cpus: set[int], trees: dict[str, Path], work: Path) -> int:
    data = Path(args.data) if args.data else repo / "build" / f"cloudtrail-{args.size_mb:g}mb"
    logs = data / "logs"
    if not (logs / "AWSLogs").exists():
        started = time.perf_counter()
        files, records, raw, compressed = generate(logs, args.size_mb, args.root_share, max(1, len(cpus)))
        print(f"generated {files} files, {records:,} records, {compressed / 1e6:,.0f} MB gzip = {raw / 1e6:,.0f} MB JSON "
              f"in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    paths = sorted(str(p) for p in logs.rglob("*.json.gz"))
    compressed = sum(os.path.getsize(p) for p in paths)
    list_file = work / "files.txt"
    list_file.write_text("\0".join(paths))
    zcat = ["sh", "-c", f"xargs -0 zcat < {list_file} > /dev/null"]
    limit = int(args.rss_limit_mb * 1e6)

    def rootwatch(side: str, selection: str) -> tuple[list[str], dict[str, str], Path]:
        out = work / f"{side.replace('/', '_')}-{selection}.duckdb"
        return ([sys.executable, "-m", "rootwatch", "snapshot", "from-files", str(logs), "-o", str(out), "--force",
                 "--cloudtrail-events", selection], _environment(trees[side]), out)

    timed(zcat, cpus)  # warm the page cache: every side then reads from memory
    runs: dict[str, list[Run | str]] = {"zcat": []}
    plan = [("root", args.repeat)] + ([("all", args.all_repeat)] if args.all_events else [])
    for selection, repeat in plan:
        for _ in range(repeat):
            runs["zcat"].append(timed(zcat, cpus))
            for side in trees:
                command, env, out = rootwatch(side, selection)
                try:
                    run: Run | str = timed(command, cpus, env, out, limit)
                except Failed as exc:
                    run = str(exc)
                runs.setdefault(f"{selection} {side}", []).append(run)
    raw = int(subprocess.run(["sh", "-c", f"xargs -0 zcat < {list_file} | wc -c"], capture_output=True, text=True, check=True).stdout)
    zcat_runs = [r for r in runs["zcat"] if isinstance(r, Run)]
    zcat_wall = statistics.median(r.seconds for r in zcat_runs)
    zcat_cpu = statistics.median(r.cpu_seconds for r in zcat_runs)
    load = os.getloadavg()
    print(f"\n{len(paths)} files, {compressed / 1e6:,.0f} MB gzip, {raw / 1e6:,.0f} MB JSON; pinned to {len(cpus)} CPUs; "
          f"median of {args.repeat} (every record: {args.all_repeat}); load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
          f"after = this tree")
    print(f"{'command':<16} {'seconds':>8} {'CPU s':>7} {'MB/s':>6} {'x zcat':>7} {'x zcat/core':>12} {'peak RSS MB':>12} {'file MB':>8}")
    summary: dict[str, Run] = {}
    for name, measured in runs.items():
        good = [r for r in measured if isinstance(r, Run)]
        if not good:
            print(f"{name:<16} {measured[0]}")
            continue
        run = Run(statistics.median(r.seconds for r in good), statistics.median(r.cpu_seconds for r in good),
                  max(r.peak_rss for r in good), max(r.size for r in good))
        summary[name] = run
        # Per core: the rate per CPU second, against zcat's (one core). On a loaded machine this
        # is the figure to trust: wall times then measure the neighbours too.
        print(f"{name:<16} {run.seconds:>8.1f} {run.cpu_seconds:>7.1f} {raw / 1e6 / run.seconds:>6.0f} {zcat_wall / run.seconds:>7.2f} "
              f"{zcat_cpu / max(run.cpu_seconds, 1e-9):>12.2f} {run.peak_rss / 1e6:>12.0f} {run.size / 1e6:>8.1f}")
    print("\nafter against each earlier commit:")
    for selection, _ in plan:
        after = summary.get(f"{selection} after")
        for side in trees:
            now = summary.get(f"{selection} {side}")
            if side == "after" or now is None or after is None:
                continue
            rows = same_rows(work / f"{side.replace('/', '_')}-{selection}.duckdb", work / f"after-{selection}.duckdb")
            print(f"  {selection} vs {side}: rows {rows}; CPU {now.cpu_seconds / after.cpu_seconds:.2f}x less, "
                  f"wall {now.seconds / after.seconds:.2f}x, RSS {now.peak_rss / 1e6:,.0f} -> {after.peak_rss / 1e6:,.0f} MB, "
                  f"file {now.size / 1e6:,.1f} -> {after.size / 1e6:,.1f} MB")
    return 0


def single_file(args: argparse.Namespace, repo: Path, cpus: set[int], trees: dict[str, Path], work: Path) -> int:
    """Issue 11: a valid log file of hundreds of MB on one line must load within the memory target."""
    data = repo / "build" / f"cloudtrail-single-{args.single_file_mb:g}mb"
    logs = data / "logs"
    path = logs / "AWSLogs" / ACCOUNTS[0] / "CloudTrail" / REGIONS[0] / "2026/01/01" / (
        f"{ACCOUNTS[0]}_CloudTrail_{REGIONS[0]}_20260101T0000Z_single.json.gz")
    if not path.exists():
        raw = generate_single(path, args.single_file_mb, args.root_share)
        print(f"generated {path.stat().st_size / 1e6:,.0f} MB gzip = {raw / 1e6:,.0f} MB JSON on one line", file=sys.stderr)
    print(f"one file, {path.stat().st_size / 1e6:,.0f} MB gzip; pinned to {len(cpus)} CPUs; after = this tree")
    for selection in ["root"] + (["all"] if args.all_events else []):
        for side, tree in trees.items():
            out = work / f"{side.replace('/', '_')}.duckdb"
            command = [sys.executable, "-m", "rootwatch", "snapshot", "from-files", str(logs), "-o", str(out), "--force",
                       "--cloudtrail-events", selection]
            try:
                run = timed(command, cpus, _environment(tree), out, int(args.rss_limit_mb * 1e6))
            except Failed as exc:
                print(f"  {selection} {side}: failed ({exc})")
                continue
            print(f"  {selection} {side}: {run.seconds:.1f} s, {run.cpu_seconds:.1f} CPU s, peak RSS {run.peak_rss / 1e6:,.0f} MB, "
                  f"file {run.size / 1e6:,.1f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
