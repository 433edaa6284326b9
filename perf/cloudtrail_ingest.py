"""CloudTrail log ingestion speed: ``rootwatch snapshot from-files`` against ``zcat`` on the same files.

Generates realistic synthetic CloudTrail logs (gzip ``{"Records": [...]}`` files in the S3 layout,
several accounts and regions, a mix of management and data events, a configurable share of root
activity), then times, side by side in one run and on the same CPUs:

* ``zcat FILES > /dev/null``: just decompressing them;
* ``rootwatch snapshot from-files DIR -o FILE``: decompressing, parsing, selecting and writing the
  snapshot (root activity by default; ``--all-events`` also times keeping every record);

and prints each rate relative to zcat's (the target: at least 0.5) and rootwatch's peak RSS (the
target: under 1 GB for 5 GB of logs). Each command runs ``--repeat`` times, alternating; the
median counts. Not part of the test suite::

    python perf/cloudtrail_ingest.py --size-mb 400 --cpus 2
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

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


def timed(command: list[str], cpus: set[int], stdout: int | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one run of ``command`` pinned to ``cpus``."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{command[0]} failed:\n{stderr}")
    return elapsed, usage.ru_maxrss * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=400, help="compressed size of the generated logs (default: 400)")
    parser.add_argument("--root-share", type=float, default=0.005, help="share of records made by root (default: 0.005)")
    parser.add_argument("--cpus", type=int, default=2, help="CPUs both commands are pinned to (default: 2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command (default: 3; the median counts)")
    parser.add_argument("--all-events", action="store_true", help="also time --cloudtrail-events all")
    parser.add_argument("--keep", metavar="DIR", help="generate into DIR and keep it (reused when it exists)")
    args = parser.parse_args()
    cpus = set(sorted(os.sched_getaffinity(0))[: args.cpus])
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rootwatch-ingest-"))
    try:
        logs = work / "logs"
        if not (logs / "AWSLogs").exists():
            started = time.perf_counter()
            files, records, raw, compressed = generate(logs, args.size_mb, args.root_share, max(1, len(cpus)))
            print(f"generated {files} files, {records:,} records, {compressed / 1e6:,.0f} MB gzip = {raw / 1e6:,.0f} MB JSON "
                  f"in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        paths = sorted(str(p) for p in logs.rglob("*.json.gz"))
        compressed = sum(os.path.getsize(p) for p in paths)
        list_file = work / "files.txt"
        list_file.write_text("\0".join(paths))
        rootwatch = shutil.which("rootwatch") or str(Path(sys.executable).with_name("rootwatch"))
        commands = {"zcat": ["sh", "-c", f"xargs -0 zcat < {list_file} > /dev/null"]}
        commands["rootwatch (root events)"] = [rootwatch, "snapshot", "from-files", str(logs), "-o", str(work / "root.duckdb"), "--force"]
        if args.all_events:
            commands["rootwatch (all events)"] = [rootwatch, "snapshot", "from-files", str(logs), "-o", str(work / "all.duckdb"), "--force",
                                                  "--cloudtrail-events", "all"]
        timed(commands["zcat"], cpus)  # warm the page cache: both sides then read from memory
        runs: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, command in commands.items():
                runs[name].append(timed(command, cpus))
        raw = int(subprocess.run(["sh", "-c", f"xargs -0 zcat < {list_file} | wc -c"], capture_output=True, text=True, check=True).stdout)
        zcat_seconds = statistics.median(t for t, _ in runs["zcat"])
        print(f"\n{len(paths)} files, {compressed / 1e6:,.0f} MB gzip, {raw / 1e6:,.0f} MB JSON; {len(cpus)} CPUs; median of {args.repeat}")
        print(f"{'command':<26} {'seconds':>8} {'MB/s (JSON)':>12} {'rate vs zcat':>13} {'peak RSS MB':>12}")
        for name, measured in runs.items():
            seconds = statistics.median(t for t, _ in measured)
            peak = max(r for _, r in measured)
            print(f"{name:<26} {seconds:>8.2f} {raw / 1e6 / seconds:>12.0f} {zcat_seconds / seconds:>13.2f} {peak / 1e6:>12.0f}")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
