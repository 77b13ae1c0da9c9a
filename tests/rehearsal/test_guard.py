"""The drills' guard: opt-in with who and why, not production, every drilled container named, none of
production's. A staging file that forgot to rename the containers would otherwise drill production."""

from __future__ import annotations

from pathlib import Path

from examday.config import load_config
from examday.rehearsal.guard import drill_refusals

NAMED = ('[docker.containers]\npostgres = "stg_postgres"\nredis = "stg_redis"\nbackend = "stg_backend"\n'
         'frontend = "stg_frontend"\n')
ALLOWED = ('[rehearsal]\nallowed = true\nallowed_by = "A. Operator"\n'
           'allowed_because = "staging rehearsal before the exam"\n')


def target(tmp_path: Path, name: str, kind: str, *sections: str):
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[target]\nname = "{name}"\nkind = "{kind}"\n[api]\nbase_url = "http://127.0.0.1:9"\n'
                    + "".join(sections))
    return load_config(path)


def test_a_staging_target_that_opts_in_and_names_its_containers_may_be_drilled(tmp_path):
    assert drill_refusals(target(tmp_path, "staging", "staging", NAMED, ALLOWED)) == []


def test_a_target_that_does_not_opt_in_is_refused(tmp_path):
    [refusal] = drill_refusals(target(tmp_path, "staging", "staging", NAMED, "[rehearsal]\nstudents = 5\n"))
    assert "does not opt in" in refusal and "allowed = true" in refusal


def test_default_container_names_are_refused_naming_them(tmp_path):
    [refusal] = drill_refusals(target(tmp_path, "staging", "staging", ALLOWED))
    assert "default names" in refusal
    assert "redis (exam_platform_redis)" in refusal and "backend (exam_platform_backend)" in refusal


def test_production_is_refused_unless_forced(tmp_path):
    live = target(tmp_path, "live", "production", NAMED, ALLOWED)
    [refusal] = drill_refusals(live)
    assert "live is a production target" in refusal
    assert drill_refusals(live, forced=True) == []


def test_containers_a_production_target_names_are_refused(tmp_path):
    production = target(tmp_path, "live", "production", '[docker.containers]\nredis = "stg_redis"\n')
    [refusal] = drill_refusals(target(tmp_path, "staging", "staging", NAMED, ALLOWED), production)
    assert "stg_redis" in refusal and "live names too" in refusal


def test_allowed_alone_is_a_configuration_error(tmp_path):
    import pytest

    from examday.config import ConfigError

    with pytest.raises(ConfigError, match="allowed_by and allowed_because"):
        target(tmp_path, "staging", "staging", "[rehearsal]\nallowed = true\n")
