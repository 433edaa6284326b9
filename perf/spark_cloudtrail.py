"""An organisation's CloudTrail on Spark ``local[2]`` and on DuckDB: "was root used, and how", side by side.

Generates (once; reused when present) an organisation trail's log files in the S3 layout
``AWSLogs/o-.../ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz`` under ``build/`` (git-ignored):
many accounts of uneven activity, several regions, ``--days`` days up to a pinned "today", realistic
records (those of ``perf/cloudtrail_ingest.py``) with a small share made by root: console sign-ins
with and without MFA, root access keys, centralized root sessions and their ``sts:AssumeRoot``
calls, and calls a service made on root's behalf (which ``root_activity`` leaves out).

Then, in this one run, it answers ``query run root_activity`` over the last 30 and 90 days
(``--compare-days``) with both engines started together, each in a fresh process limited to two threads:

* DuckDB: the snapshot builder's bulk load of the window's files (root events only) and the query;
* Spark ``local[2]``: ``register_cloudtrail_view`` (the pruned listing and the read) and the same
  query compiled to Spark SQL;

with wall time, the CPU seconds and the peak RSS of each process tree (the JVM and DuckDB's loader
workers included), and the rows each found (they must agree). Then Spark's time and CPU against
the days read (1, 7, 30, 90: partition pruning), and its throughput per CPU second, the figure
``docs/spark-scale.md`` prices a cluster from. On a shared machine CPU seconds are the figure to
trust; wall time counts the waits for everyone else's work. Not part of the test suite::

    python perf/spark_cloudtrail.py                  # 2.2 GB of logs, generated on first run
    python perf/spark_cloudtrail.py --generate-only  # just the logs
    python perf/spark_cloudtrail.py --resume         # only the rows the last (interrupted) run lacks
    python perf/spark_cloudtrail.py --s3-days 7      # the boto3 reader on moto's S3 beside Spark's own read
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "perf"))
sys.path.insert(0, str(REPO / "runner"))

from cloudtrail_ingest import _record  # noqa: E402  (the realistic records, one definition)

TODAY = date(2026, 11, 30)
"""The pinned last day of the logs: windows end here, so runs are comparable."""
ORGANIZATION = "o-a1b2c3d4e5"
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "sa-east-1")
GENERATOR_VERSION = 1
"""Bumped when the generated data changes, so an old ``build/`` copy is not reused by mistake."""


_CLOCK = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]


def _gzip(body: bytes) -> bytes:
    """Gzip as CloudTrail delivers it; ISA-L's compressor (if installed) is several times faster than zlib's."""
    try:
        from isal import igzip
    except ImportError:
        return gzip.compress(body, compresslevel=6, mtime=0)
    return igzip.compress(body, compresslevel=3, mtime=0)


def account_of(n: int) -> str:
    return f"{200000000000 + n:012d}"


def _activity(n: int) -> float:
    """Relative activity of account ``n``: a few busy accounts, many quiet ones (Zipf-like)."""
    return 1.0 / (1 + n) ** 0.8


def _root_record(rng: random.Random, account: str, region: str) -> dict:
    """One root event of a kind ``root_activity`` tells apart (or leaves out)."""
    record = _record(rng, account, region, True)
    identity = record["userIdentity"]
    kind = rng.random()
    if kind < 0.35:  # a console sign-in, with or without MFA, now and then failing
        failed = rng.random() < 0.2
        record.update(
            eventSource="signin.amazonaws.com", eventName="ConsoleLogin", readOnly=False, eventType="AwsConsoleSignIn",
            requestParameters=None, responseElements={"ConsoleLogin": "Failure" if failed else "Success"},
            additionalEventData={"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No",
                                 "MFAUsed": rng.choice(["Yes", "No"])},
        )
        identity.pop("accessKeyId", None)
    elif kind < 0.55:  # a long-term root access key
        identity["accessKeyId"] = "AKIA" + uuid.UUID(int=rng.getrandbits(128)).hex[:16].upper()
    elif kind < 0.75:  # a centralized root session, opened by sts:AssumeRoot
        identity["accessKeyId"] = "ASIA" + uuid.UUID(int=rng.getrandbits(128)).hex[:16].upper()
        identity["sessionContext"] = {"attributes": {"creationDate": "2026-11-18T07:58:00Z", "mfaAuthenticated": "false"},
                                      "assumedRoot": "true"}
    elif kind < 0.9:  # a service acting on root's behalf: left out by the CIS filter
        identity["invokedBy"] = "cloudformation.amazonaws.com"
    else:  # a temporary root session key
        identity["accessKeyId"] = "ASIA" + uuid.UUID(int=rng.getrandbits(128)).hex[:16].upper()
    return record


def _assume_root_record(rng: random.Random, account: str, region: str) -> dict:
    """The ``sts:AssumeRoot`` call (made by an IAM role of the management account) that opens a root session."""
    record = _record(rng, account, region, False)
    record.update(eventSource="sts.amazonaws.com", eventName="AssumeRoot", readOnly=True, managementEvent=True,
                  requestParameters={"targetPrincipal": account, "taskPolicyArn": {"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}})
    return record


def _write_account(job: tuple[Path, int, int, float, int]) -> tuple[int, int, int, int]:
    """Every log file of one account; returns (files, records, root records, gzip bytes)."""
    root, n, records_per_day, root_share, days = job
    os.nice(5)  # the machine is shared: generating must not starve the measurements of others
    rng = random.Random(1000 + n)
    account = account_of(n)
    pool = {r: [json.dumps(_record(rng, account, r, False), separators=(",", ":")) for _ in range(200)] for r in REGIONS}
    special = {r: [json.dumps(_root_record(rng, account, r), separators=(",", ":")) for _ in range(40)]
               + [json.dumps(_assume_root_record(rng, account, r), separators=(",", ":")) for _ in range(10)] for r in REGIONS}
    # Templates split where the time and the event id go: each record is then one join of strings.
    pool = {r: [t.split("{T}") for t in texts] for r, texts in pool.items()}
    special = {r: [t.split("{T}") for t in texts] for r, texts in special.items()}
    files = records = roots = size = 0
    for day_index in range(days):
        day = TODAY - timedelta(days=days - 1 - day_index)
        day_text = day.isoformat() + "T"
        for region_index, region in enumerate(REGIONS):
            # The account's home region is the busiest; the others quieter.
            share = 0.5 if region_index == n % len(REGIONS) else 0.5 / (len(REGIONS) - 1)
            total = max(1, int(records_per_day * share * rng.uniform(0.6, 1.4)))
            per_file = max(100, min(5000, total // 2 or 1))
            folder = root / "AWSLogs" / ORGANIZATION / account / "CloudTrail" / region / day.strftime("%Y/%m/%d")
            folder.mkdir(parents=True, exist_ok=True)
            written = 0
            while written < total:
                count = min(per_file, total - written)
                first = 86400 * written // total
                parts = []
                for index in range(count):
                    is_special = rng.random() < root_share
                    head, tail = rng.choice(special[region] if is_special else pool[region])
                    roots += is_special
                    event_id = "%032x" % rng.getrandbits(128)
                    event_id = f"{event_id[:8]}-{event_id[8:12]}-{event_id[12:16]}-{event_id[16:20]}-{event_id[20:]}"
                    parts.append(head + day_text + _CLOCK[(first + index * 86400 // total) % 86400] + "Z" + tail.replace("{I}", event_id, 1))
                body = ('{"Records":[' + ",".join(parts) + "]}").encode()
                stamp = day.strftime("%Y%m%d") + "T" + _CLOCK[first][:5].replace(":", "") + "Z"
                name = f"{account}_CloudTrail_{region}_{stamp}_{rng.getrandbits(64):016x}.json.gz"
                data = _gzip(body)
                (folder / name).write_bytes(data)
                files += 1
                records += count
                size += len(data)
                written += count
    return files, records, roots, size


def generate(root: Path, *, accounts: int, days: int, size_mb: float, root_share: float, workers: int) -> dict:
    """Write the organisation's logs under ``root`` (atomically marked complete); returns what was written."""
    # About 145 gzip bytes per record (measured on these records: JSON compresses 10 to 1).
    total_records = size_mb * 1e6 / 145
    weights = [_activity(n) for n in range(accounts)]
    jobs = [(root, n, int(total_records * w / sum(weights) / days), root_share, days) for n, w in enumerate(weights)]
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_write_account, jobs))
    summary = {
        "version": GENERATOR_VERSION, "accounts": accounts, "days": days, "regions": len(REGIONS), "today": TODAY.isoformat(),
        "files": sum(r[0] for r in results), "records": sum(r[1] for r in results), "root_share": root_share,
        "special_records": sum(r[2] for r in results), "gzip_bytes": sum(r[3] for r in results),
        "seconds": round(time.perf_counter() - started, 1),
    }
    (root / "generated.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def ensure_logs(root: Path, args: argparse.Namespace) -> dict:
    marker = root / "generated.json"
    if marker.exists():
        summary = json.loads(marker.read_text())
        if summary.get("version") == GENERATOR_VERSION and summary.get("accounts") == args.accounts and summary.get("days") == args.days:
            return summary
    if root.exists():
        import shutil

        shutil.rmtree(root)  # an incomplete or outdated copy: start again
    root.mkdir(parents=True)
    return generate(root, accounts=args.accounts, days=args.days, size_mb=args.size_mb, root_share=args.root_share, workers=args.workers)


def _uncompressed_bytes(paths: list[str]) -> int:
    """The JSON bytes behind ``paths``: each gzip trailer's size field (files are far below 4 GiB)."""
    total = 0
    for path in paths:
        with open(path, "rb") as handle:
            handle.seek(-4, 2)
            total += int.from_bytes(handle.read(4), "little")
    return total


def _row_key(row: dict) -> tuple:
    return tuple(str(row[c]) for c in sorted(row))


def _normalized(columns: tuple[str, ...], rows: list) -> list[dict]:
    """Rows as JSON-friendly dicts, instants as UTC ISO text, in one order: the engines' answers compared."""
    out = []
    for row in rows:
        item = {}
        for name, value in zip(columns, row):
            if isinstance(value, datetime):
                value = (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()
            item[name] = value
        out.append(item)
    return sorted(out, key=_row_key)


def child(engine: str, logs: Path, days: int) -> dict:
    """One measured answer, in this (child) process: list the window's files, read them, run root_activity."""
    from rootwatch import api
    from rootwatch.cloudtrail_layout import list_log_files

    mod = api.load_mod(REPO)
    variables = api.resolve_variables(mod)
    as_of = datetime(TODAY.year, TODAY.month, TODAY.day, 23, 59, 59, tzinfo=timezone.utc)
    since = TODAY - timedelta(days=days - 1)
    source = api.resolve_query(mod, "root_activity").source
    if engine == "duckdb":
        import duckdb

        from rootwatch.engines.duckdb_engine import DuckDBEngine
        from rootwatch.schema.tables import table_named
        from rootwatch.snapshot.cloudtrail_logs import LogFile, load_log_files

        started = time.perf_counter()
        files = list_log_files(str(logs), since=since, until=TODAY)
        listed = time.perf_counter() - started
        connection = duckdb.connect()
        connection.execute(table_named("aws_cloudtrail_trail_event").ddl("duckdb"))
        # The snapshot builder's own load, with its own bounds (2 workers and threads, 512 MB).
        loaded = load_log_files(connection, [LogFile(Path(f.url), f.key, f.account_id, f.region, f.organization_id) for f in files])
        if loaded.problems:
            raise SystemExit("\n".join(str(p) for p in loaded.problems))
        events = loaded.rows
        run = api.run_query(mod, DuckDBEngine.from_connection(connection), "root_activity", api.RunOptions(variables=variables, as_of=as_of))
        columns, rows = run.columns, run.rows
        seconds = time.perf_counter() - started
    else:
        from pyspark.sql import SparkSession

        from rootwatch.engines.spark_cloudtrail import register_cloudtrail_view
        from rootwatch.engines.spark_session import use_this_python
        from rootwatch.sql.compile import compile_sql

        use_this_python()  # the S3 reader's Python workers need this interpreter's boto3 and pyarrow
        session = (
            SparkSession.builder.master("local[2]").appName("rootwatch-perf")
            .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false").config("spark.driver.memory", "2g").getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        started = time.perf_counter()  # after the JVM's start (some 10 s, paid once per session)
        if engine == "spark-s3":  # the same files in moto's S3 (AWS_ENDPOINT_URL), fetched with boto3 by the workers
            files = register_cloudtrail_view(session, f"s3://{S3_BUCKET}/AWSLogs/", since=since, until=TODAY, reader="boto3")
        else:
            files = register_cloudtrail_view(session, str(logs), since=since, until=TODAY)
        listed = time.perf_counter() - started
        # Read once, as DuckDB loads once: the count and the query then use the cached rows.
        session.sql("CACHE TABLE aws_cloudtrail_trail_event")
        events = session.sql("SELECT count(*) FROM aws_cloudtrail_trail_event").collect()[0][0]
        frame = session.sql(compile_sql(source, "spark", variables, as_of))
        columns = tuple(frame.columns)
        rows = [tuple(r) for r in frame.collect()]
        seconds = time.perf_counter() - started
        session.stop()
    local = [str(logs / f.key) for f in files]  # where the file (or the object's original) lies on disk
    return {
        "engine": engine, "days": days, "files": len(files), "gzip_bytes": sum(os.path.getsize(p) for p in local),
        "json_bytes": _uncompressed_bytes(local), "listing_seconds": round(listed, 2),
        "seconds": round(seconds, 2), "events": int(events), "rows": _normalized(columns, rows),
    }


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (the JVM a PySpark driver starts, DuckDB loader workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue += children.get(current, [])
    return found


def _rss_and_cpu(pid: int) -> tuple[int, float]:
    """Resident bytes and user+system CPU seconds of one process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/statm") as handle:
            rss = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return rss, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0, 0.0


def measured(engine: str, logs: Path, days: int) -> dict:
    """Run :func:`child` in a fresh process; adds its wall time, the peak RSS of its process tree and
    the CPU seconds the tree used (sampled every 0.2 s: on a shared machine CPU time, unlike wall
    time, does not count the waits for other people's work)."""
    import subprocess
    import threading

    command = [sys.executable, __file__, "--dir", str(logs.parent), "--child", engine, "--window", str(days)]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "TZ": "UTC"})
    peak = 0
    cpu: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            total = 0
            for member in _tree(process.pid):
                rss, seconds = _rss_and_cpu(member)
                total += rss
                cpu[member] = max(cpu.get(member, 0.0), seconds)
            peak = max(peak, total)
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{engine} ({days} days) failed:\n{stderr.decode()[-4000:]}")
    result = json.loads(stdout)
    result.update(wall_seconds=round(wall, 2), peak_rss_bytes=peak, cpu_seconds=round(sum(cpu.values()), 1))
    return result


S3_BUCKET = "org-trail"


def s3_reader(logs: Path, days: int) -> int:
    """The boto3 reader (PySpark without an S3 filesystem) against Spark's own read of the same
    files: the window's files put into moto's S3 server on loopback (in this process), then both
    measured one after the other. moto's CPU (this process) is not in the reader's figures."""
    import resource
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    from rootwatch.cloudtrail_layout import list_log_files

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        os.environ.update(AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="perf", AWS_SECRET_ACCESS_KEY="perf",
                          AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
        client = boto3.client("s3")
        client.create_bucket(Bucket=S3_BUCKET)
        files = list_log_files(str(logs), since=TODAY - timedelta(days=days - 1), until=TODAY)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda f: client.put_object(Bucket=S3_BUCKET, Key=f.key, Body=Path(f.url).read_bytes()), files))
        print(f"\n{days} days: {len(files):,} objects put into moto's S3; Spark local[2] reads them", flush=True)
        results = {}
        for engine in ("spark", "spark-s3"):
            before = resource.getrusage(resource.RUSAGE_SELF)
            results[engine] = measured(engine, logs, days)
            after = resource.getrusage(resource.RUSAGE_SELF)
            results[engine]["moto_cpu_seconds"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
    finally:
        server.stop()
    (REPO / "build" / "spark-cloudtrail-s3-results.json").write_text(json.dumps(results, indent=1, default=str))
    print(f"{'reader':<24} {'files':>7} {'GB gzip':>8} {'events':>7} {'rows':>5} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12} {'moto CPU s':>11}")
    for engine, label in (("spark", "Spark's own (folder)"), ("spark-s3", "boto3 workers (moto S3)")):
        r = results[engine]
        print(f"{label:<24} {r['files']:>7,} {r['gzip_bytes'] / 1e9:>8.3f} {r['events']:>7,} {len(r['rows']):>5,} {r['wall_seconds']:>8.1f} "
              f"{r['cpu_seconds']:>8.1f} {r['peak_rss_bytes'] / 1e6:>12,.0f} {r['moto_cpu_seconds']:>11.1f}")
    same = results["spark"]["rows"] == results["spark-s3"]["rows"]
    print(f"same rows: {'yes' if same else 'NO'}; boto3/Spark's own: CPU {results['spark-s3']['cpu_seconds'] / results['spark']['cpu_seconds']:.2f}")
    return 0 if same else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=REPO / "build" / "spark-cloudtrail", help="where the logs live (default: build/spark-cloudtrail)")
    parser.add_argument("--accounts", type=int, default=60, help="accounts of the organisation (default: 60)")
    parser.add_argument("--days", type=int, default=120, help="days of logs up to the pinned today (default: 120)")
    parser.add_argument("--size-mb", type=float, default=2200, help="gzip size to generate (default: 2200)")
    parser.add_argument("--root-share", type=float, default=0.0002, help="share of root (and AssumeRoot) records (default: 0.0002)")
    parser.add_argument("--workers", type=int, default=2, help="generator processes (default: 2)")
    parser.add_argument("--generate-only", action="store_true", help="generate the logs and stop")
    parser.add_argument("--compare-days", default="30,90", help="days both engines read side by side (default: 30,90)")
    parser.add_argument("--windows", default="1,7,30,90", help="days Spark reads, for the pruning series (default: 1,7,30,90)")
    parser.add_argument("--resume", action="store_true", help="keep the rows build/spark-cloudtrail-results.json has for these logs")
    parser.add_argument("--s3-days", type=int, default=0,
                        help="also read this many days from moto's S3 on loopback with the boto3 reader, beside Spark's own read of the folder")
    parser.add_argument("--child", choices=("duckdb", "spark", "spark-s3"), help=argparse.SUPPRESS)
    parser.add_argument("--window", type=int, default=90, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logs = args.dir / "logs"
    if args.child:
        print(json.dumps(child(args.child, logs, args.window)))
        return 0
    summary = ensure_logs(logs, args)
    print(f"logs: {summary['files']:,} files, {summary['records']:,} records ({summary['special_records']:,} root or AssumeRoot), "
          f"{summary['gzip_bytes'] / 1e9:.2f} GB gzip; {summary['accounts']} accounts x {summary['regions']} regions x "
          f"{summary['days']} days (generated in {summary['seconds']:.0f} s)", flush=True)
    if args.generate_only:
        return 0
    if args.s3_days:
        return s3_reader(logs, args.s3_days)
    compare = sorted({int(d) for d in args.compare_days.split(",")})
    windows = sorted({int(d) for d in args.windows.split(",")} | set(compare))
    record = REPO / "build" / "spark-cloudtrail-results.json"
    results: dict = {"logs": summary, "duckdb": {}, "spark": {}}
    if args.resume and record.exists():
        previous = json.loads(record.read_text())
        if previous.get("logs") == summary:  # rows measured on these very logs are kept
            results["duckdb"] = {int(d): r for d, r in previous.get("duckdb", {}).items()}
            results["spark"] = {int(d): r for d, r in previous.get("spark", {}).items()}

    def save() -> None:
        record.write_text(json.dumps(results, indent=1, default=str))

    from concurrent.futures import ThreadPoolExecutor

    print(f"\nroot_activity over 1 to {windows[-1]} days; DuckDB beside Spark (started together) at {compare} days "
          f"(CPUs: {os.cpu_count()}, load now {os.getloadavg()[0]:.1f})", flush=True)
    for days in windows:  # the short windows first: a run cut short still has them
        if days in compare and not (days in results["duckdb"] and days in results["spark"]):
            # Side by side: both start together, so both meet the same machine (CPU seconds are the
            # figure a busy machine distorts least; wall time is given as measured).
            with ThreadPoolExecutor(2) as pool:
                duck_future, spark_future = pool.submit(measured, "duckdb", logs, days), pool.submit(measured, "spark", logs, days)
                results["duckdb"][days], results["spark"][days] = duck_future.result(), spark_future.result()
        elif days not in results["spark"]:
            results["spark"][days] = measured("spark", logs, days)
        else:
            continue
        save()
        print(f"  {days} days done (load now {os.getloadavg()[0]:.1f})", flush=True)

    same = True
    print(f"\n{'days':>5} {'engine':<7} {'files':>7} {'GB gzip':>8} {'GB JSON':>8} {'events':>7} {'rows':>5} {'wall s':>8} "
          f"{'CPU s':>8} {'peak RSS MB':>12} {'same rows':>10}")
    for days in compare:
        duck, spark = results["duckdb"][days], results["spark"][days]
        agree = duck["rows"] == spark["rows"]
        same = same and agree
        for result in (duck, spark):
            print(f"{days:>5} {result['engine']:<7} {result['files']:>7,} {result['gzip_bytes'] / 1e9:>8.2f} {result['json_bytes'] / 1e9:>8.2f} "
                  f"{result['events']:>7,} {len(result['rows']):>5,} {result['wall_seconds']:>8.1f} {result['cpu_seconds']:>8.1f} "
                  f"{result['peak_rss_bytes'] / 1e6:>12,.0f} {'yes' if agree else 'NO':>10}")
        print(f"{days:>5} {'ratio':<7} Spark/DuckDB: wall {spark['wall_seconds'] / duck['wall_seconds']:.2f}, "
              f"CPU {spark['cpu_seconds'] / duck['cpu_seconds']:.2f}, peak memory {spark['peak_rss_bytes'] / duck['peak_rss_bytes']:.2f}")
    print("\nSpark local[2] against the days read (partition pruning; each run a fresh JVM)", flush=True)
    print(f"{'days':>5} {'files':>7} {'GB gzip':>8} {'listing s':>10} {'read+query s':>13} {'wall s':>8} {'CPU s':>8} "
          f"{'MB gzip/CPU s':>14} {'MB JSON/CPU s':>14}")
    for days, result in sorted(results["spark"].items()):
        print(f"{days:>5} {result['files']:>7,} {result['gzip_bytes'] / 1e9:>8.2f} {result['listing_seconds']:>10.2f} "
              f"{result['seconds']:>13.1f} {result['wall_seconds']:>8.1f} {result['cpu_seconds']:>8.1f} "
              f"{result['gzip_bytes'] / 1e6 / result['cpu_seconds']:>14.1f} {result['json_bytes'] / 1e6 / result['cpu_seconds']:>14.1f}")
    spark_by_days = sorted(results["spark"].items())
    if len(spark_by_days) > 1:
        (d0, first), (d1, last) = spark_by_days[0], spark_by_days[-1]
        marginal = (last["cpu_seconds"] - first["cpu_seconds"]) / (last["gzip_bytes"] - first["gzip_bytes"]) * 1e9
        print(f"marginal Spark CPU: {marginal:.0f} CPU s per GB gzip ({d0} to {d1} days); "
              f"fixed part (JVM, planning) about {first['cpu_seconds'] - marginal * first['gzip_bytes'] / 1e9:.0f} CPU s")
    print(f"\n(all figures: {record})")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
