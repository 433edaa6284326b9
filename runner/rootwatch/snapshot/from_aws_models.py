"""The service models of a capture's clients, cut down to the operations a capture calls.

A capture calls 21 operations of 9 services, but botocore loads each service's whole model (EC2's
is 5.6 MB of JSON, for DescribeRegions alone) and builds each client class with a method per
operation (EC2 has about 750): on one account in every region, about 0.3 s of CPU of a 2 s
capture, much of it before the first region is read.

The clients a capture shares (:class:`~rootwatch.snapshot.from_aws_clients.SharedClients`) read
instead, through :class:`CaptureModelLoader`, a model holding exactly :data:`CAPTURE_OPERATIONS`:
each operation as botocore's model defines it, every shape it reaches, and every exception shape
of the service (botocore matches an error code against those), copied verbatim from the model
botocore loaded (its file, any override in ``~/.aws/models``, its SDK extras). So the requests,
endpoint rules, signing, retries, pagination and error codes are botocore's own, exactly; a client
only lacks methods the capture never calls.

The cut model is kept in the user's cache directory (:mod:`rootwatch.diskcache`), under a digest
of botocore's version, the files it was cut from (path, size, time) and the operations: a botocore
upgrade or a changed list makes a new one, a missing or unreadable entry is cut again from the
full model (as slow as before, once).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

CAPTURE_OPERATIONS: Mapping[str, tuple[str, ...]] = {
    "sts": ("GetCallerIdentity",),
    "iam": (
        "GenerateCredentialReport",
        "GetCredentialReport",
        "GetAccountSummary",
        "ListVirtualMFADevices",
        "ListAccountAliases",
        "ListOrganizationsFeatures",
    ),
    "organizations": ("DescribeOrganization", "ListAccounts"),
    "ec2": ("DescribeRegions",),
    "cloudtrail": ("DescribeTrails", "GetTrailStatus", "GetEventSelectors", "GetInsightSelectors"),
    "logs": ("DescribeMetricFilters",),
    "cloudwatch": ("DescribeAlarms",),
    "sns": ("ListSubscriptions", "ListSubscriptionsByTopic", "GetSubscriptionAttributes"),
    "events": ("ListEventBuses", "ListRules", "ListTargetsByRule"),
}
"""Every operation a capture calls through its shared clients, per service (a call missing here
fails with AttributeError in every capture, which the from-aws tests would show at once)."""

CACHE_FOLDER = "aws-models"
FORMAT = 1
"""Bumped when the way a model is cut changes, so older entries are no longer used."""


class CaptureModelLoader:
    """A botocore data loader that answers ``service-2`` of the capture's services with cut models.

    Everything else (endpoint rules, paginators, partitions, other services) comes from ``loader``,
    the process's shared loader, unchanged.
    """

    def __init__(self, loader: Any, operations: Mapping[str, tuple[str, ...]] = CAPTURE_OPERATIONS) -> None:
        self._loader = loader
        self._operations = operations
        self._lock = threading.Lock()
        self._cut: dict[tuple[str, str], Any] = {}
        # boto3.Session appends its data directory to the search paths of the loader it is given;
        # a list of our own keeps the shared loader's from growing (as _OnePathLoader does).
        self.search_paths = list(loader.search_paths)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def load_service_model(self, service_name: str, type_name: str, api_version: str | None = None) -> Any:
        operations = self._operations.get(service_name)
        if type_name != "service-2" or operations is None:
            return self._loader.load_service_model(service_name, type_name, api_version=api_version)
        if api_version is None:
            # As botocore's load_service_model; an unknown service raises here as it would there.
            if service_name not in self._loader.list_available_services(type_name):
                return self._loader.load_service_model(service_name, type_name)
            api_version = self._loader.determine_latest_version(service_name, type_name)
        with self._lock:
            found = self._cut.get((service_name, api_version))
            if found is None:
                found = self._cut[(service_name, api_version)] = self._load_cut(service_name, api_version, operations)
            return found

    def _load_cut(self, service: str, api_version: str, operations: tuple[str, ...]) -> Any:
        from rootwatch.diskcache import read_entry, write_entry

        key = self._key(service, api_version, operations)
        kept = read_entry(CACHE_FOLDER, key)
        if isinstance(kept, str):
            try:
                # Parsed as botocore parses its files (OrderedDict), from the text kept verbatim.
                return json.loads(kept, object_pairs_hook=OrderedDict)
            except ValueError:
                pass
        full = self._loader.load_service_model(service, "service-2", api_version=api_version)
        model = cut_model(full, operations)
        write_entry(CACHE_FOLDER, key, json.dumps(model, separators=(",", ":")))
        return model

    def _key(self, service: str, api_version: str, operations: tuple[str, ...]) -> str:
        import botocore

        parts = [f"format {FORMAT}", f"botocore {botocore.__version__}", service, api_version, ",".join(operations)]
        parts.extend(_model_files(self._loader, service, api_version))
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _model_files(loader: Any, service: str, api_version: str) -> Iterator[str]:
    """Path, size and modification time of every file botocore may read for the model (the model
    in each search path, compressed or not, and its extras)."""
    names = ["service-2"] + [f"service-2.{extras}-extras" for extras in loader.extras_types]
    for directory in loader.search_paths:
        for name in names:
            for extension in (".json", ".json.gz"):
                path = os.path.join(directory, service, api_version, name + extension)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                yield f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


def cut_model(model: Mapping[str, Any], operations: tuple[str, ...]) -> dict[str, Any]:
    """``model`` (a botocore ``service-2`` document) with only ``operations``, the shapes they reach
    and every exception shape; everything kept is copied unchanged. A missing operation is a
    KeyError (the list names an operation the model does not have)."""
    shapes = model.get("shapes", {})
    wanted: list[str] = []
    for name in operations:
        wanted.extend(_shape_names(model["operations"][name]))
    wanted.extend(name for name, shape in shapes.items() if shape.get("exception"))
    kept: dict[str, Any] = {}
    while wanted:
        name = wanted.pop()
        if name in kept or name not in shapes:
            continue
        kept[name] = shapes[name]
        wanted.extend(_shape_names(shapes[name]))
    cut = {key: value for key, value in model.items() if key not in ("operations", "shapes")}
    cut["operations"] = {name: model["operations"][name] for name in operations}
    cut["shapes"] = {name: shapes[name] for name in shapes if name in kept}  # botocore's order
    return cut


def _shape_names(node: Any) -> Iterator[str]:
    """Every shape a part of a model refers to (``{"shape": name}`` anywhere inside it)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "shape" and isinstance(value, str):
                yield value
            else:
                yield from _shape_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _shape_names(value)
