"""Policy files: the packaged default, partial overrides, and errors naming the field."""

from pathlib import Path

import pytest

from maestro.tools.drift import DriftPolicy, PolicyError, default_policy, load_policy


def test_default_policy_reproduces_the_paper() -> None:
    p = load_policy()
    assert p is default_policy() and p.name == "default"
    assert p.quantization.above == (0.10, 0.20, 0.25)
    assert p.quantization.below == (0.25, 0.50, 0.70)
    assert [a.name for a in p.actions] == ["restart", "recreate"]
    assert [a.penalty_factor for a in p.actions] == [1, 2]
    assert p.availability.target == 0.9999 and p.availability.resource == 0.999
    assert load_policy("default") is p


def test_partial_yaml_override(tmp_path: Path) -> None:
    f = tmp_path / "strict-agents.yaml"
    f.write_text("agent_health: {policy: k_of_n, k: 5, mode: margin}\n"
                 "actions:\n  - {name: migrate, penalty_factor: 3, downtime_s: 30}\n")
    p = load_policy(f)
    assert p.name == "strict-agents"
    assert p.agent_health.policy == "k_of_n" and p.agent_health.k == 5
    assert [a.name for a in p.actions] == ["migrate"]  # lists replace
    assert p.quantization == default_policy().quantization  # the rest keeps the defaults


def test_json_policy_with_string_keys(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text('{"name": "mine", "health_scores": {"1": 100, "0": 70, "-1": 0}}')
    p = load_policy(f)
    assert p.name == "mine" and p.health_scores[0] == 70


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("quantization: {above: [0.3, 0.2, 0.4]}", "quantization.above"),
        ("quantization: {scale: relative}", "quantization.scale"),
        ("agent_health: {policy: majority}", "agent_health.policy"),
        ("actions: [{name: restart}]", "actions.0.penalty_factor"),
        ("availability: {target: 99.99}", "availability.target"),
        ("health_scores: {1: 90, 0: 50, -1: 0}", "health_scores"),
        ("colour: blue", "colour"),
    ],
)
def test_bad_policy_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text + "\n")
    with pytest.raises(PolicyError) as info:
        load_policy(f)
    assert f"field '{field}'" in str(info.value)


def test_unreadable_policy_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "missing.yaml")
    f = tmp_path / "broken.yaml"
    f.write_text("a: [1, 2\n")
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(f)
    f.write_text("- 1\n- 2\n")
    with pytest.raises(PolicyError, match="mapping"):
        load_policy(f)


def test_policy_objects_and_mappings_pass_through() -> None:
    p = DriftPolicy(name="x")
    assert load_policy(p) is p
    assert load_policy({"gradient": "raw"}).gradient == "raw"
