"""The network manager: which mesh resources a brokering plan produces on which edge."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from maestro.tools.orchestrator.network import (
    NetworkManager,
    NetworkPlan,
    NetworkPlanError,
    peer_environment,
)

# CAMINO Fig. 3: CNF1 and CNF2 on edge 1, CNF4 on edge 2, CNF3 in domain Y.
FIG3: dict[str, Any] = {
    "chain": "video",
    "domain": "dx",
    "gateways": {"edge-2": "10.0.0.2"},
    "services": [
        {"name": "cnf1", "edge": "edge-1", "port": 9001},
        {"name": "cnf2", "edge": "edge-1", "calls": ["cnf1", "cnf4", "cnf3"]},
        {"name": "cnf3", "domain": "dy", "fqdn": "cnf3.video.dy.example.org", "port": 443},
        {"name": "cnf4", "edge": "edge-2", "port": 9004},
    ],
}


@pytest.fixture(scope="module")
def manager() -> NetworkManager:
    return NetworkManager()


@pytest.fixture(scope="module")
def fig3(manager: NetworkManager) -> NetworkPlan:
    return manager.plan(FIG3)


def kinds(plan: NetworkPlan, edge: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for pkg in plan.for_edge(edge):
        for res in pkg.resources:
            out.setdefault(res["kind"], []).append(res)
    return out


def test_links_have_the_three_scopes(fig3: NetworkPlan) -> None:
    scopes = {(link.source, link.target): link.scope for link in fig3.links}
    assert scopes == {
        ("cnf2", "cnf1"): "intra-edge",
        ("cnf2", "cnf4"): "inter-edge",
        ("cnf2", "cnf3"): "cross-domain",
    }
    assert fig3.edges() == ["edge-1", "edge-2"]


def test_intra_edge_gets_virtualservice_and_destinationrule(fig3: NetworkPlan) -> None:
    edge1 = kinds(fig3, "edge-1")
    [vs] = edge1["VirtualService"]
    assert vs["metadata"] == {"name": "cnf1", "namespace": "video"}
    route = vs["spec"]["http"][0]["route"][0]["destination"]
    assert route == {"host": "cnf1.video.svc.cluster.local", "port": {"number": 9001}}
    hosts = {dr["spec"]["host"] for dr in edge1["DestinationRule"]}
    assert "cnf1.video.svc.cluster.local" in hosts
    # nothing on edge 2 routes to cnf1
    assert "VirtualService" not in kinds(fig3, "edge-2")


def test_inter_edge_uses_service_entry_to_the_remote_gateway(fig3: NetworkPlan) -> None:
    entries = {e["metadata"]["name"]: e for e in kinds(fig3, "edge-1")["ServiceEntry"]}
    remote = entries["cnf4-remote"]
    assert remote["spec"]["hosts"] == ["cnf4.video.svc.cluster.local"]  # namespace sameness
    assert remote["spec"]["location"] == "MESH_INTERNAL"
    assert remote["spec"]["endpoints"][0]["address"] == "10.0.0.2"
    assert remote["spec"]["ports"][0]["number"] == 9004  # an integer, as Kubernetes wants
    edge2 = kinds(fig3, "edge-2")
    [gateway] = edge2["Gateway"]
    assert gateway["spec"]["servers"][0]["tls"]["mode"] == "AUTO_PASSTHROUGH"
    assert gateway["spec"]["servers"][0]["hosts"] == ["video/*.video.svc.cluster.local"]
    policies = {p["metadata"]["name"]: p for p in edge2["NetworkPolicy"]}
    assert set(policies) == {"allow-cnf2-to-cnf4", "allow-eastwest-to-cnf4"}
    allow = policies["allow-cnf2-to-cnf4"]["spec"]
    assert allow["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "cnf4"}
    assert allow["ingress"][0]["ports"][0]["port"] == 9004


def test_cross_domain_uses_the_intent_fqdn(fig3: NetworkPlan) -> None:
    entries = {e["metadata"]["name"]: e for e in kinds(fig3, "edge-1")["ServiceEntry"]}
    external = entries["cnf3-external"]["spec"]
    assert external["hosts"] == ["cnf3.video.dy.example.org"]
    assert external["location"] == "MESH_EXTERNAL"
    assert external["ports"][0]["number"] == 443


def test_cross_domain_fqdn_from_the_trusted_list(manager: NetworkManager) -> None:
    plan = dict(FIG3, trusted_domains={"dy": "dy.example.net"})
    plan["services"] = [dict(s) for s in FIG3["services"]]
    plan["services"][2].pop("fqdn")
    out = manager.plan(plan)
    hosts = [e["spec"]["hosts"] for e in kinds(out, "edge-1")["ServiceEntry"]]
    assert ["cnf3.video.dy.example.net"] in hosts


def test_untrusted_domain_without_fqdn_is_refused(manager: NetworkManager) -> None:
    plan = dict(FIG3)
    plan["services"] = [dict(s) for s in FIG3["services"]]
    plan["services"][2].pop("fqdn")
    with pytest.raises(NetworkPlanError, match=r"chain video, service cnf2: .*'dy'.*trusted"):
        manager.plan(plan)


def test_another_domain_calling_us_is_exposed(manager: NetworkManager) -> None:
    plan = manager.plan(
        {
            "chain": "iot",
            "services": [
                {"name": "sensor", "domain": "far", "calls": ["broker"]},
                {"name": "broker", "edge": "edge-1", "port": 1883},
            ],
        }
    )
    edge1 = kinds(plan, "edge-1")
    assert [g["metadata"]["namespace"] for g in edge1["Gateway"]] == ["iot"]
    [expose] = edge1["NetworkPolicy"]
    assert expose["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"] == {
        "istio": "eastwestgateway"
    }
    assert [link.scope for link in plan.links] == ["cross-domain"]


@pytest.mark.parametrize(
    ("services", "message"),
    [
        ([{"name": "a", "edge": "e1", "calls": ["ghost"]}], "service a: calls 'ghost'"),
        ([{"name": "a", "calls": []}], "service a: runs in this domain but has no edge"),
        ([{"name": "a", "edge": "e1", "calls": ["a"]}], "service a: calls itself"),
    ],
)
def test_bad_plans_name_the_service(
    manager: NetworkManager, services: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(NetworkPlanError, match=message):
        manager.plan({"chain": "c1", "services": services})


@pytest.mark.parametrize(
    "bad",
    [
        {"chain": "../etc", "services": [{"name": "a", "edge": "e1"}]},
        {"chain": "c1", "services": [{"name": "a/b", "edge": "e1"}]},
        {"chain": "c1", "services": [{"name": "a", "edge": "e1", "port": 0}]},
        {"chain": "c1", "services": [{"name": "a", "edge": "e1", "colour": "red"}]},
        {"chain": "c1", "services": [{"name": "a", "edge": "e1"}, {"name": "a", "edge": "e2"}]},
    ],
)
def test_malformed_plans_are_refused(manager: NetworkManager, bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        manager.plan(bad)


def test_no_blueprint_default_reaches_an_edge(fig3: NetworkPlan) -> None:
    for pkg in fig3.packages:
        for name, text in pkg.text.items():
            if name == "schema.yaml":
                continue
            assert "example-chain" not in text, (pkg.name, name)
            assert "edge-2.example" not in text, (pkg.name, name)
            values = yaml.safe_dump(list(yaml.safe_load_all(text)))  # comments dropped
            assert "${" not in values, (pkg.name, name)


def test_setter_comments_survive_so_kpt_can_rehydrate(fig3: NetworkPlan) -> None:
    [pkg] = [p for p in fig3.packages if p.blueprint == "network-intra-edge"]
    assert "# kpt-set: ${host}" in pkg.text["virtualservice.yaml"]
    assert yaml.safe_load(pkg.text["setters.yaml"])["data"]["host"] == (
        "cnf1.video.svc.cluster.local"
    )
    assert yaml.safe_load(pkg.text["Kptfile"])["metadata"]["name"] == "net-route-cnf1"


def test_peer_environment_only_lists_reachable_services(fig3: NetworkPlan) -> None:
    addresses = {n: f"http://127.0.0.1:{9000 + i}" for i, n in enumerate(["cnf1", "cnf3", "cnf4"])}
    env = peer_environment(fig3, "cnf2", addresses)
    assert env == {
        "MAESTRO_PEER_CNF1": "http://127.0.0.1:9000",
        "MAESTRO_PEER_CNF3": "http://127.0.0.1:9001",
        "MAESTRO_PEER_CNF4": "http://127.0.0.1:9002",
    }
    assert peer_environment(fig3, "cnf1", addresses) == {}  # cnf1 calls nobody


@pytest.mark.skipif(shutil.which("kpt") is None, reason="the kpt binary is not installed")
def test_kpt_reads_the_hydrated_packages(fig3: NetworkPlan, tmp_path: Path) -> None:
    for pkg in fig3.packages:
        folder = tmp_path / pkg.edge / pkg.name
        folder.mkdir(parents=True)
        for name, text in pkg.text.items():
            (folder / name).write_text(text, encoding="utf-8")
        out = subprocess.run(
            ["kpt", "fn", "source", str(folder)], capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr
        items = yaml.safe_load(out.stdout)["items"]
        seen = [
            {k: v for k, v in item.items() if k != "metadata"} | {"name": item["metadata"]["name"]}
            for item in items
            if item["kind"] not in ("Kptfile", "ConfigMap", "SetterSchema")
        ]
        ours = [
            {k: v for k, v in res.items() if k != "metadata"} | {"name": res["metadata"]["name"]}
            for res in pkg.resources
        ]
        assert sorted(map(str, seen)) == sorted(map(str, ours)), pkg.name
