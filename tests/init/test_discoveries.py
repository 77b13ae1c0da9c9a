"""What `examday init` finds in a compose model beyond the platform's four containers: Prometheus and
Alertmanager by their published ports, the DNS server, the proxy's kind and admin API, a crontab's
container, where dumps are kept, the staging suffix, the worker-count variable from the environment;
and what it must not take for a role (exporters beside the datastores)."""

from __future__ import annotations

import tomllib

from examday.init import discover, finish, render_target
from examday.init.compose_model import Published, mounts, published

SANDBOX_SHAPED = {"services": {
    "alertmanager": {"image": "examday-sandbox/observability:local", "container_name": "exam_platform_alertmanager",
                     "command": ["prometheus-alertmanager", "--web.listen-address=:9093"],
                     "ports": ["127.0.0.1:9093:9093/tcp"]},
    "backend": {"image": "examday-sandbox/backend:local", "container_name": "exam_platform_backend",
                "command": ["serve", "--proxy-headers"], "ports": ["127.0.0.1:8000:8000/tcp"],
                "environment": {"API_PREFIX": "/v1", "UVICORN_WORKERS": "3", "EXAM_MODE": "false"}},
    "backend_staging": {"image": "examday-sandbox/backend:local", "container_name": "exam_platform_backend_staging",
                        "environment": {"API_PREFIX": "/v1"}},
    "dns": {"image": "examday-sandbox/dns:local", "container_name": "exam_platform_dns",
            "ports": ["127.0.0.1:5353:53/udp", "127.0.0.1:5353:53/tcp"]},
    "ops": {"image": "examday-sandbox/ops:local", "container_name": "examday_sandbox_ops",
            "volumes": ["/srv/ops/crontab:/etc/cron.d/exam-platform:ro", "backups:/backups:rw"]},
    "postgres": {"image": "examday-sandbox/postgres:local", "container_name": "exam_platform_postgres",
                 "environment": {"POSTGRES_DB": "exam_platform", "POSTGRES_USER": "exam_user"}},
    "postgres_exporter": {"image": "examday-sandbox/observability:local",
                          "container_name": "exam_platform_postgres_exporter",
                          "command": ["sh", "-c", "exec prometheus-postgres-exporter"]},
    "prometheus": {"image": "examday-sandbox/observability:local", "container_name": "exam_platform_prometheus",
                   "command": ["prometheus", "--web.listen-address=:9090"], "ports": ["127.0.0.1:9090:9090/tcp"]},
    "proxy": {"image": "examday-sandbox/proxy:local", "container_name": "exam_platform_proxy",
              "ports": ["127.0.0.1:8443:443/tcp", "127.0.0.1:2019:2019/tcp"]},
    "redis": {"image": "examday-sandbox/redis:local", "container_name": "exam_platform_redis"},
    "redis_exporter": {"image": "examday-sandbox/observability:local", "container_name": "exam_platform_redis_exporter",
                       "command": ["prometheus-redis-exporter", "--redis.addr=redis://exam_platform_redis:6379"]},
}}


def values_of(found) -> dict:
    return {key: f.value for key, f in found.values.items()}


def test_the_services_around_the_platform_are_found_with_their_ports():
    found = discover(SANDBOX_SHAPED, project="sandbox")
    containers = {role: f.value for role, f in found.containers.items()}
    assert containers == {"postgres": "exam_platform_postgres", "redis": "exam_platform_redis",
                          "backend": "exam_platform_backend", "dns": "exam_platform_dns",
                          "ops": "examday_sandbox_ops", "proxy": "exam_platform_proxy"}  # no exporter as a role
    values = values_of(found)
    assert values["prometheus.url"] == "http://127.0.0.1:9090"
    assert values["alertmanager.url"] == "http://127.0.0.1:9093"
    assert values["dns.resolver"] == "127.0.0.1:5353"
    assert values["jobs.crontabs"] == [{"where": "ops", "paths": ["/etc/cron.d/*"]}]  # cron reads the folder
    assert (values["backup.container"], values["backup.path"]) == ("ops", "/backups")
    assert (values["proxy.kind"], values["proxy.admin_url"]) == ("caddy", "http://127.0.0.1:2019")
    assert found.values["proxy.kind"].guess  # told by Caddy's admin port only: the running proxy says more
    assert values["staging.container_suffix"] == "_staging"
    assert values["platform.workers_env"] == "UVICORN_WORKERS"  # from the environment: no --workers here
    assert values["api.health_path"] == "health"


def test_the_runbook_eras_images_and_an_unpublished_alertmanager():
    compose = {"services": {
        "traefik": {"image": "traefik:v2.11", "container_name": "exam_platform_traefik",
                    "ports": [{"published": 443, "target": 443, "host_ip": "", "protocol": "tcp"}]},
        "prometheus": {"image": "prom/prometheus:v2.53.0", "ports": [{"published": 19090, "target": 9090}]},
        "alertmanager": {"image": "prom/alertmanager:v0.27.0"},
        "backend": {"image": "registry.example/exam/backend:1.4",
                    "command": "gunicorn -k uvicorn.workers.UvicornWorker",
                    "environment": {"APP_WORKERS": "4"}},
        "pg-backup": {"image": "prodrigestivill/postgres-backup-local:15", "volumes": [
            {"type": "bind", "source": "/srv/backups", "target": "/backups"}]},
    }}
    found = finish(discover(compose, project="exam"))
    values = values_of(found)
    assert found.containers["proxy"].value == "exam_platform_traefik" and values["proxy.kind"] == "traefik"
    assert "proxy.admin_url" not in values  # Traefik's API is on an unpublished entrypoint: its access log is read
    assert values["prometheus.url"] == "http://127.0.0.1:19090"  # its 9090, published as 19090
    assert found.containers["backup"].value == "exam-pg-backup-1"  # compose's own name: project-service-1
    assert (values["backup.container"], values["backup.path"]) == ("backup", "/backups")
    assert values["platform.workers_env"] == "APP_WORKERS" and found.values["platform.workers_env"].guess
    lines = [missing.line() for missing in found.missing]
    assert any(line.startswith("not found: set alertmanager.url (compose service 'alertmanager' looks like "
                               "alertmanager but publishes no port") for line in lines), lines
    assert sum("alertmanager.url" in line for line in lines) == 1  # said once, with why


def test_the_written_file_is_toml_with_inline_tables_and_marks_guesses_and_stand_ins(tmp_path):
    found = finish(discover(SANDBOX_SHAPED, project="sandbox"))
    text = render_target(found, "sandbox", [tmp_path / "docker-compose.yml"], [])
    data = tomllib.loads(text)
    assert data["jobs"]["crontabs"] == [{"where": "ops", "paths": ["/etc/cron.d/*"]}]
    assert 'base_url = "http://127.0.0.1:8000"  # guess: a stand-in, listed as not found above' in text
    assert "#   not found: set api.base_url (the public URL students use" in text


def test_ports_and_mounts_in_both_compose_forms():
    assert published({"ports": ["127.0.0.1:5353:53/udp", "8000:8000", "3000", "[::1]:9090:9090"]}) == [
        Published("127.0.0.1", 5353, 53, "udp"), Published("", 8000, 8000), Published("::1", 9090, 9090)]
    assert published({"ports": [{"published": "8443", "target": 443, "host_ip": "0.0.0.0"}]})[0].url() == \
        "http://127.0.0.1:8443"
    assert [(m.source, m.target) for m in mounts({"volumes": ["backups:/backups:rw", "/data",
                                                             {"source": "x", "target": "/etc/crontab"}]})] == [
        ("backups", "/backups"), ("", "/data"), ("x", "/etc/crontab")]
