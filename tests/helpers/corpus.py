"""The hardening corpus (``tests/corpus/``): odd inputs run through the real ``rootwatch`` command.

Each entry of ``tests/corpus/<entry point>.yaml`` is a small input, the command to run on it, the exit
code it must give and a phrase its message must hold (tests/corpus/README.md is the format). Every
entry is also checked for what no run may do whatever its input: print a traceback, leave an output
file or a temporary file behind after a failure, change an input, or print a secret.

The command runs in a subprocess (``python -m rootwatch``) so that a crash, a stray thread's traceback
or a file left in ``$TMPDIR`` is seen as a user would see it. :func:`run_case` returns an
:class:`Outcome` listing each broken expectation by kind; ``tests/corpus/tally.py`` counts the kinds
over the whole corpus (the figures of issue 11), against this tree or another one.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus"
BASE_CAPTURE = CORPUS / "base" / "capture"
TIMEOUT_SECONDS = 120

KINDS = ("exit", "phrase", "traceback", "internal", "verdict", "secret", "side_effect")
"""What an entry can get wrong; ``tally.py`` counts each (``internal`` is exit 4)."""


@dataclass(frozen=True)
class Case:
    """One corpus entry (see tests/corpus/README.md for each field)."""

    entry: str
    name: str
    args: tuple[str, ...]
    exit: int
    phrase: tuple[str, ...]
    base: str | None = None
    files: Mapping[str, Any] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    snapshots: Mapping[str, Any] = field(default_factory=dict)
    verdicts: tuple[Mapping[str, Any], ...] = ()
    secrets: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    fsize_limit: int | None = None
    needs_permissions: bool = False
    needs_mknod: bool = False
    xfail: str | None = None
    """Why the entry still fails (a known bug, the issue that tracks it); removed with the fix."""

    @property
    def id(self) -> str:
        return f"{self.entry}::{self.name}"


@dataclass
class Outcome:
    """What one run did, and every expectation it broke (kind → explanation)."""

    case: Case
    code: int = 0
    stdout: str = ""
    stderr: str = ""
    broken: dict[str, str] = field(default_factory=dict)

    def report(self) -> str:
        lines = [f"{self.case.id}: exit {self.code}"]
        lines += [f"  {kind}: {why}" for kind, why in self.broken.items()]
        lines += [f"  stderr: {line}" for line in self.stderr.strip().splitlines()[-8:]]
        return "\n".join(lines)


def load_cases(entry: str) -> list[Case]:
    """The entries of ``tests/corpus/<entry>.yaml``."""
    document = yaml.safe_load((CORPUS / f"{entry}.yaml").read_text(encoding="utf-8"))
    cases = []
    for raw in document["cases"]:
        cases.append(
            Case(
                entry=entry,
                name=raw["name"],
                args=tuple(str(a) for a in raw["args"]),
                exit=int(raw["exit"]),
                phrase=tuple([raw["phrase"]] if isinstance(raw.get("phrase"), str) else raw.get("phrase") or ()),
                base=raw.get("base"),
                files=raw.get("files") or {},
                remove=tuple(raw.get("remove") or ()),
                snapshots=raw.get("snapshots") or {},
                verdicts=tuple(raw.get("verdicts") or ()),
                secrets=tuple(raw.get("secrets") or ()),
                env=raw.get("env") or {},
                fsize_limit=raw.get("fsize_limit"),
                needs_permissions=bool(raw.get("needs_permissions", False)),
                xfail=raw.get("xfail"),
                needs_mknod=any(isinstance(spec, Mapping) and "device" in spec for spec in (raw.get("files") or {}).values()),
            )
        )
    return cases


def entries() -> list[str]:
    return sorted(path.stem for path in CORPUS.glob("*.yaml"))


def content(spec: Any) -> bytes:
    """The bytes a ``files`` value stands for (a string, or one of the generators in the README)."""
    if isinstance(spec, str):
        return spec.encode("utf-8")
    if isinstance(spec, Mapping):
        if "parts" in spec:  # [[text, times], ...]: 100,000-deep nesting in three lines
            return b"".join(str(text).encode("utf-8") * int(times) for text, times in spec["parts"])
        if "gzip" in spec:
            return gzip.compress(content(spec["gzip"]), mtime=0)
        if "base64" in spec:
            return base64.b64decode(spec["base64"])
        if "credential_report" in spec:
            return _credential_report(spec)
        if "json" in spec:
            return json.dumps(spec["json"]).encode("utf-8")
    raise ValueError(f"unknown file content {spec!r}")


ACCOUNT = "123456789012"
"""The account of the base capture."""
REPORT_COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
    "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated",
    "cert_2_active", "cert_2_last_rotated",
)  # fmt: skip
_ROOT_ROW = {
    "user": "<root_account>", "arn": f"arn:aws:iam::{ACCOUNT}:root", "user_creation_time": "2020-01-01T00:00:00+00:00",
    "password_enabled": "not_supported", "password_last_used": "2026-10-01T08:12:33+00:00",
    "password_last_changed": "not_supported", "password_next_rotation": "not_supported", "mfa_active": "true",
    "access_key_1_active": "false", "access_key_1_last_rotated": "N/A", "access_key_1_last_used_date": "N/A",
    "access_key_1_last_used_region": "N/A", "access_key_1_last_used_service": "N/A", "access_key_2_active": "false",
    "access_key_2_last_rotated": "N/A", "access_key_2_last_used_date": "N/A", "access_key_2_last_used_region": "N/A",
    "access_key_2_last_used_service": "N/A", "cert_1_active": "false", "cert_1_last_rotated": "N/A",
    "cert_2_active": "false", "cert_2_last_rotated": "N/A",
}  # fmt: skip
_USER_ROW = {**_ROOT_ROW, "user": "alice", "arn": f"arn:aws:iam::{ACCOUNT}:user/alice", "password_enabled": "true",
             "password_last_used": "no_information", "password_last_changed": "2022-01-10T09:00:00+00:00",
             "password_next_rotation": "N/A", "mfa_active": "false"}


def _credential_report(spec: Mapping[str, Any]) -> bytes:
    """A credential report: each row a mapping of the columns that differ from the base's root row
    (or alice's, for a row whose ``user`` is not ``<root_account>``); the CSV, or with ``json: true``
    the JSON of get-credential-report wrapping it (``generated`` is its GeneratedTime, may be null)."""
    lines = [",".join(REPORT_COLUMNS)]
    for row in spec["credential_report"]:
        defaults = _ROOT_ROW if row.get("user", "<root_account>") == "<root_account>" else _USER_ROW
        merged = {**defaults, **{key: str(value).lower() if isinstance(value, bool) else str(value)
                                 for key, value in row.items()}}
        lines.append(",".join(merged[column] for column in REPORT_COLUMNS))
    text = "\n".join(lines) + "\n"
    if not spec.get("json"):
        return text.encode("utf-8")
    wrapped = {"Content": base64.b64encode(text.encode("utf-8")).decode(), "ReportFormat": "text/csv",
               "GeneratedTime": spec.get("generated", "2026-11-20T08:41:12+00:00")}
    return json.dumps(wrapped).encode("utf-8")


@dataclass(frozen=True)
class Workspace:
    """A case's folders: ``dir`` (the capture), ``out`` (where outputs go), ``tmp`` ($TMPDIR)."""

    root: Path

    @property
    def dir(self) -> Path:
        return self.root / "capture"

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def inputs(self) -> Path:
        return self.root / "in"

    def substitute(self, text: str) -> str:
        return (text.replace("{dir}", str(self.dir)).replace("{out}", str(self.out))
                .replace("{in}", str(self.inputs)).replace("{tmp}", str(self.tmp)))


def _prepare(case: Case, space: Workspace, source: Path) -> None:
    for folder in (space.out, space.tmp, space.inputs):
        folder.mkdir(parents=True)
    if case.base == "capture":
        shutil.copytree(BASE_CAPTURE, space.dir)
    else:
        space.dir.mkdir()
    for name, spec in case.snapshots.items():
        _make_snapshot(space.inputs / name, spec, space, source)
    for relative in case.remove:
        target = space.dir / relative
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    for relative, spec in case.files.items():
        target = Path(space.substitute(relative))
        target = target if target.is_absolute() else space.dir / target
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, Mapping) and "mode" in spec:  # chmod an existing file or folder
            target.chmod(int(str(spec["mode"]), 8))
            continue
        if isinstance(spec, Mapping) and "fifo" in spec:
            os.mkfifo(target)
            continue
        if isinstance(spec, Mapping) and "device" in spec:  # a null device of the case's own, never /dev/null
            os.mknod(target, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
            continue
        if isinstance(spec, Mapping) and "symlink" in spec:
            target.symlink_to(space.substitute(str(spec["symlink"])))
            continue
        target.write_bytes(content(spec))


_BASE_SNAPSHOTS: dict[Path, Path] = {}


def _base_snapshot(source: Path) -> Path:
    """The base capture built once per process and checkout (entries copy it)."""
    if source not in _BASE_SNAPSHOTS:
        import atexit
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="rootwatch-corpus-base-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "base.duckdb"
        built = _run([sys.executable, "-m", "rootwatch", "snapshot", "from-files", str(BASE_CAPTURE), "-o", str(path)],
                     source, folder, {})
        if built.returncode != 0:
            raise RuntimeError(f"building the base snapshot failed: {built.stderr}")
        _BASE_SNAPSHOTS[source] = path
    return _BASE_SNAPSHOTS[source]


def _make_snapshot(path: Path, spec: Mapping[str, Any], space: Workspace, source: Path) -> None:
    """A snapshot built from the base capture, then damaged as ``spec`` says (``sql``, ``truncate``)."""
    import duckdb

    shutil.copyfile(_base_snapshot(source), path)
    statements = spec.get("sql") or []
    if statements:
        connection = duckdb.connect(str(path))
        try:
            for statement in statements:
                connection.execute(statement)
        finally:
            connection.close()
    if spec.get("truncate"):
        size = path.stat().st_size
        with open(path, "r+b") as handle:
            handle.truncate(size - int(spec["truncate"]))


def _drop_root_powers() -> list[str]:
    """A prefix making a root process subject to file permissions (as a user's run is), if needed."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return []
    caps = "-dac_override,-dac_read_search"
    return [setpriv, "--bounding-set", caps, "--inh-caps", caps]


def can_mknod() -> bool:
    """Whether this process may create a device node (root): the device entries need one."""
    return os.geteuid() == 0


def runnable(case: Case) -> str | None:
    """Why ``case`` cannot run here, or None."""
    if case.needs_permissions and not permissions_apply():
        return "root without setpriv: chmod cannot make a file unreadable to the command"
    if case.needs_mknod and not can_mknod():
        return "creating a device node needs root"
    return None


def permissions_apply() -> bool:
    """Whether chmod can make a file unreadable to the command (not so for root without setpriv)."""
    return os.geteuid() != 0 or bool(_drop_root_powers())


def _run(command: list[str], source: Path, tmp: Path, env: Mapping[str, str],
         fsize_limit: int | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("ROOTWATCH_SNAPSHOT", "ROOTWATCH_DATABASE", "ROOTWATCH_DEBUG", "PYTEST"))}
    environment.update(NO_COLOR="1", TMPDIR=str(tmp), HOME=str(tmp.parent / "home"), PYTHONPATH=str(source / "runner"))
    environment.update(env)

    def limit() -> None:
        if fsize_limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_limit, fsize_limit))

    return subprocess.run([*_drop_root_powers(), *command], cwd=source, env=environment, capture_output=True,
                          text=True, timeout=TIMEOUT_SECONDS, preexec_fn=limit, check=False)


def _digest(folder: Path) -> dict[str, str]:
    found = {}
    for path in sorted(folder.rglob("*")):
        try:
            if path.is_symlink() or not path.is_file():
                found[str(path.relative_to(folder))] = "link" if path.is_symlink() else "other"
            else:
                found[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            found[str(path.relative_to(folder))] = "unreadable"
    return found


def _statuses(space: Workspace, source: Path, snapshot: Path) -> dict[str, list[tuple[str, str]]]:
    """control (short id) → [(status, reason)] graded on ``snapshot`` by ``control run all``."""
    run = _run([sys.executable, "-m", "rootwatch", "control", "run", "all", "--snapshot", str(snapshot),
                "--output", "json"], source, space.tmp, {})
    if run.returncode not in (0, 1, 2):
        return {"__run__": [("error", run.stderr.strip())]}
    found: dict[str, list[tuple[str, str]]] = {}

    def walk(group: Mapping[str, Any]) -> None:
        for control in group.get("controls") or []:
            short = str(control.get("control_id", "")).rsplit(".", 1)[-1]
            for result in control.get("results") or []:
                found.setdefault(short, []).append((str(result.get("status")), str(result.get("reason"))))
        for child in group.get("groups") or []:
            walk(child)

    walk(json.loads(run.stdout))
    return found


def run_case(case: Case, root: Path, source: Path = REPO) -> Outcome:
    """Run ``case`` in the empty folder ``root`` with the rootwatch of ``source``; what it broke."""
    space = Workspace(root)
    _prepare(case, space, source)
    (root / "home").mkdir()
    before_inputs = {"capture": _digest(space.dir), "in": _digest(space.inputs)}
    before_out = _digest(space.out)
    args = [space.substitute(arg) for arg in case.args]
    outcome = Outcome(case)
    try:
        run = _run([sys.executable, "-m", "rootwatch", *args], source, space.tmp,
                   {k: space.substitute(v) for k, v in case.env.items()}, case.fsize_limit)
        outcome.code, outcome.stdout, outcome.stderr = run.returncode, run.stdout, run.stderr
    except subprocess.TimeoutExpired:
        outcome.code = -1
        outcome.broken["exit"] = f"no exit within {TIMEOUT_SECONDS} s"
        return outcome
    finally:
        _restore_modes(case, space)
    printed = outcome.stdout + outcome.stderr
    if outcome.code != case.exit and "exit" not in outcome.broken:
        outcome.broken["exit"] = f"exit {outcome.code}, expected {case.exit}"
    if outcome.code == 4:
        outcome.broken["internal"] = "exit 4 (internal error)"
    if "Traceback (most recent call last)" in printed:
        outcome.broken["traceback"] = "a traceback was printed"
    missing = [phrase for phrase in case.phrase if space.substitute(phrase).lower() not in printed.lower()]
    if missing:
        outcome.broken["phrase"] = f"no {missing} in the output"
    leaked = [secret for secret in case.secrets if secret in printed]
    if leaked:
        outcome.broken["secret"] = f"printed {leaked}"
    outcome.broken.update(_side_effects(space, before_inputs, before_out, outcome.code))
    for check in case.verdicts:
        problem = _verdict(check, space, source)
        if problem:
            outcome.broken["verdict"] = problem
            break
    return outcome


def _restore_modes(case: Case, space: Workspace) -> None:
    """Make chmod-ed files readable again, so digests and clean-up see them."""
    for relative, spec in case.files.items():
        if isinstance(spec, Mapping) and "mode" in spec:
            target = Path(space.substitute(relative))
            target = target if target.is_absolute() else space.dir / target
            target.chmod(0o755 if target.is_dir() else 0o644)


def _side_effects(space: Workspace, inputs: dict[str, dict[str, str]], out: dict[str, str], code: int) -> dict[str, str]:
    found: dict[str, str] = {}
    if _digest(space.dir) != inputs["capture"] or _digest(space.inputs) != inputs["in"]:
        found["side_effect"] = "an input file changed"
    now_out = _digest(space.out)
    temporary = [name for name in now_out if ".tmp" in name or name.startswith(".")]
    if temporary:
        found["side_effect"] = f"temporary files left in the output folder: {temporary}"
    elif code not in (0, 1, 2) and now_out != out:
        found["side_effect"] = f"a failed run changed the output folder: {sorted(set(now_out) ^ set(out))}"
    left = sorted(p.name for p in space.tmp.iterdir()) if space.tmp.exists() else []
    if left:
        found["side_effect"] = f"left in $TMPDIR: {left}"
    return found


def _verdict(check: Mapping[str, Any], space: Workspace, source: Path) -> str | None:
    """None when the snapshot ``check["snapshot"]`` grades ``check["control"]`` as expected."""
    snapshot = Path(space.substitute(str(check.get("snapshot", "{out}/s.duckdb"))))
    if not snapshot.exists():
        return f"{snapshot.name} was not written, so {check['control']} could not be graded"
    graded = _statuses(space, source, snapshot)
    if "__run__" in graded:
        return f"grading failed: {graded['__run__'][0][1]}"
    results = graded.get(str(check["control"]), [])
    statuses = sorted({status for status, _ in results})
    if statuses != [str(check["status"])]:
        return f"{check['control']} graded {statuses or 'nothing'}, expected {check['status']}"
    reason = check.get("reason")
    if reason and not all(str(reason).lower() in text.lower() for _, text in results):
        return f"{check['control']}'s reason lacks {reason!r}: {results[0][1]}"
    return None


def all_cases() -> Iterator[Case]:
    for entry in entries():
        yield from load_cases(entry)
