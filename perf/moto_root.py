#!/usr/bin/env python3
"""moto's server on loopback whose IAM credential reports carry a ``<root_account>`` row.

    python perf/moto_root.py PORT            # serves http://127.0.0.1:PORT until killed

moto's ``GetCredentialReport`` lists IAM users only; AWS's report always starts with the root
user's row. Without it, a root-user check (rootwatch's or Prowler's) has nothing to grade, and a
race between them would compare tools doing no work. This launcher patches moto's IAM backend in
the server process, before it serves, so that every account's report has a root row after the
header: the root user created an hour before the account's first IAM user (or now), no password
used, MFA off, one active access key, which is what makes the root checks find something. Both
tools read the same server, so they grade the same accounts with the same root rows.

Used by ``perf/aws_collect.py``; a benchmark helper, not a test.
"""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timedelta, timezone

ROOT_ROW = (
    "<root_account>,arn:aws:iam::{account}:root,{created},not_supported,no_information,not_supported,not_supported,"
    "false,true,{created},N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
)
"""The 22 columns of moto's header, in its order (AWS's report has the same first 22)."""


def patch_credential_report() -> None:
    """Make ``IAMBackend.get_credential_report`` put a root row after the header line."""
    from moto.iam.models import IAMBackend

    original = IAMBackend.get_credential_report

    def with_root(self: IAMBackend) -> str:
        report = original(self)  # raises ReportNotPresent as before
        header, _, users = report.partition("\n")
        created = min((user.create_date for user in self.users.values()), default=datetime.now(timezone.utc))
        created = (created - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        return f"{header}\n{ROOT_ROW.format(account=self.account_id, created=created)}{users}"

    IAMBackend.get_credential_report = with_root  # type: ignore[method-assign]


def main() -> int:
    from moto.server import ThreadedMotoServer

    port = int(sys.argv[1])
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    patch_credential_report()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(f"http://127.0.0.1:{port}", flush=True)
    try:
        sys.stdin.read()  # until the parent closes our stdin (or kills us)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
