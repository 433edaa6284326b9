"""Security Hub control ids on the controls (tag securityhub_control_id) and the fsbp benchmark."""

from __future__ import annotations

# The Security Hub controls of the FSBP standard that rootwatch grades. From AWS's Security Hub
# documentation, "Controls that apply to FSBP": IAM.4, IAM.6 and CloudTrail.1 are in it; IAM.9 and
# CloudWatch.1 belong to Security Hub's CIS (and PCI, NIST) standards only.
FSBP_STANDARD = {"IAM.4", "IAM.6", "CloudTrail.1"}


def test_the_fsbp_benchmark_names_each_control_by_its_security_hub_id(mod) -> None:
    nodes = list(mod.benchmark("fsbp").control_nodes())
    for node in nodes:
        control_id = node.control.tags["securityhub_control_id"]
        assert node.title.startswith(f"{control_id} "), node.id
        assert node.id == "fsbp_" + control_id.lower().replace(".", "_")
        assert node.tags["securityhub_control_id"] == control_id
    assert {n.control.tags["securityhub_control_id"] for n in nodes} == FSBP_STANDARD


def test_every_control_of_an_fsbp_id_is_in_the_fsbp_benchmark(mod) -> None:
    in_benchmark = {n.control.id for n in mod.benchmark("fsbp").control_nodes()}
    tagged = {c.id for c in mod.controls.values() if c.tags.get("securityhub_control_id") in FSBP_STANDARD}
    assert tagged == in_benchmark
    assert {c.tags.get("securityhub_control_id") for c in mod.controls.values()} - {None} == FSBP_STANDARD | {"IAM.9", "CloudWatch.1"}
