"""The embedded runtime reads hydrated Deployments as Kubernetes would: env from values,
ConfigMap keys and the pod IP, $(VAR) in args, ConfigMap volumes as files."""

from __future__ import annotations

import json
from pathlib import Path

from maestro.tools.orchestrator import hydrate, load_catalogue
from maestro.tools.orchestrator.runtime import desired_workloads, image_catalogue

from .helpers import ROOT

CATALOGUE = load_catalogue(ROOT / "tools" / "orchestrator" / "blueprints")


def _checkout(tmp_path: Path, package: str, values: dict) -> Path:
    files = hydrate(
        CATALOGUE[package],
        {"namespace": "ns", **values},
        package=f"ns/{values['name']}",
        namespace="ns",
    )
    for rel, text in files.items():
        dest = tmp_path / "ns" / values["name"] / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text)
    return tmp_path


def test_prometheus_config_volume_becomes_files_and_args_point_at_them(tmp_path) -> None:
    tree = _checkout(
        tmp_path, "prometheus-scraper", {"name": "prom", "port": 21001, "target": "127.0.0.1:21000"}
    )
    spec = desired_workloads(tree, image_catalogue())["ns/prom"]
    assert spec.error is None and spec.port == 21001 and spec.probe_path == "/-/ready"
    assert spec.command[0] == "prometheus"
    assert "--config.file={workdir}/volumes/config/prometheus.yml" in spec.command
    assert "--storage.tsdb.path={workdir}/volumes/data" in spec.command
    assert "--web.listen-address=127.0.0.1:21001" in spec.command
    config = json.loads(spec.files["volumes/config/prometheus.yml"])
    assert config["scrape_configs"][0]["static_configs"][0]["targets"] == ["127.0.0.1:21000"]


def test_env_from_a_configmap_key_and_the_pod_ip_feed_the_args(tmp_path) -> None:
    tree = _checkout(
        tmp_path,
        "traffic-probe",
        {"name": "probe", "port": 21002, "target": "http://127.0.0.1:21000/"},
    )
    spec = desired_workloads(tree, image_catalogue())["ns/probe"]
    assert spec.env["POD_IP"] == "127.0.0.1"
    assert spec.env["PROBE_TARGET"] == "http://127.0.0.1:21000/"
    args = spec.command[spec.command.index("probe") + 1 :]
    assert args[:2] == ["--host", "127.0.0.1"]
    assert args[args.index("--target") + 1] == "http://127.0.0.1:21000/"


def test_changed_values_change_the_digest_and_an_unknown_image_is_an_error(tmp_path) -> None:
    a = desired_workloads(
        _checkout(tmp_path / "a", "chain-backend", {"name": "b", "port": 21003, "message": "one"}),
        image_catalogue(),
    )["ns/b"]
    b = desired_workloads(
        _checkout(tmp_path / "b", "chain-backend", {"name": "b", "port": 21003, "message": "two"}),
        image_catalogue(),
    )["ns/b"]
    assert a.digest != b.digest
    odd = desired_workloads(tmp_path / "a", {})["ns/b"]
    assert "not in the runtime's image catalogue" in (odd.error or "")
