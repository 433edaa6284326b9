"""The capture's service models, cut to the operations it calls: complete for those, kept on disk."""

from __future__ import annotations

from typing import Any

import pytest

botocore = pytest.importorskip("botocore")


def _shared_loader() -> Any:
    from rootwatch.snapshot.from_aws_clients import botocore_session

    return botocore_session().get_component("data_loader")


def _reached(service_model: Any, shape: Any, seen: set[str]) -> None:
    """Resolve every shape under ``shape`` (a missing one raises NoShapeFoundError)."""
    if shape is None or shape.name in seen:
        return
    seen.add(shape.name)
    for member in getattr(shape, "members", {}).values():
        _reached(service_model, member, seen)
    for name in ("member", "key", "value"):
        _reached(service_model, getattr(shape, name, None), seen)


@pytest.mark.parametrize("service", ["sts", "iam", "organizations", "ec2", "cloudtrail", "logs", "cloudwatch", "sns", "events"])
def test_a_cut_model_has_each_operation_whole_and_every_exception(service: str) -> None:
    from botocore.model import ServiceModel

    from rootwatch.snapshot.from_aws_models import CAPTURE_OPERATIONS, CaptureModelLoader

    shared = _shared_loader()
    full = ServiceModel(shared.load_service_model(service, "service-2"), service_name=service)
    cut = ServiceModel(CaptureModelLoader(shared).load_service_model(service, "service-2"), service_name=service)
    assert sorted(cut.operation_names) == sorted(CAPTURE_OPERATIONS[service])
    assert cut.metadata == full.metadata
    for name in CAPTURE_OPERATIONS[service]:
        operation = cut.operation_model(name)
        assert operation._operation_model == full.operation_model(name)._operation_model
        seen: set[str] = set()
        for shape in (operation.input_shape, operation.output_shape, *operation.error_shapes):
            _reached(cut, shape, seen)
    assert sorted(s.name for s in cut.error_shapes) == sorted(s.name for s in full.error_shapes)


def test_the_cut_model_is_read_back_from_the_cache_and_cut_again_when_damaged(tmp_path, monkeypatch) -> None:
    from rootwatch.diskcache import read_entry
    from rootwatch.snapshot import from_aws_models

    monkeypatch.setenv("ROOTWATCH_CACHE_DIR", str(tmp_path))
    shared = _shared_loader()
    first = from_aws_models.CaptureModelLoader(shared).load_service_model("ec2", "service-2")
    entries = list((tmp_path / from_aws_models.CACHE_FOLDER).rglob("*.json"))
    assert len(entries) == 1
    again = from_aws_models.CaptureModelLoader(shared).load_service_model("ec2", "service-2")
    assert again == first
    entries[0].write_text("{not json")
    assert from_aws_models.CaptureModelLoader(shared).load_service_model("ec2", "service-2") == first
    assert read_entry(from_aws_models.CACHE_FOLDER, entries[0].stem) is not None, "written whole again"


def test_other_services_and_model_types_come_from_botocore_unchanged() -> None:
    from rootwatch.snapshot.from_aws_models import CaptureModelLoader

    shared = _shared_loader()
    loader = CaptureModelLoader(shared)
    assert loader.load_service_model("s3", "service-2") is shared.load_service_model("s3", "service-2")
    assert loader.load_service_model("iam", "paginators-1") is shared.load_service_model("iam", "paginators-1")
    with pytest.raises(botocore.exceptions.UnknownServiceError):
        loader.load_service_model("no-such-service", "service-2")
