#!/usr/bin/env bash
# The runbook's pre-exam checklist as shell commands a careful operator would paste, pointed at
# the sandbox: the baseline bench_preexam.py times examday's pre-exam phase against. Fair to the
# shell: compose is called once (v2 where it exists), and every command's exit code is checked
# (set -e, pipefail), so a run that could not read something fails instead of looking fast.
# It judges nothing: a human reads the output. It does not restore the backup into a scratch
# database nor try a student's flow on staging (examday's PRE-INF-08 and PRE-INF-07 do).
set -euo pipefail
cd "$(dirname "$0")/../sandbox"
CA=.state/ca/ca.pem
PROJECT=examday-sandbox
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
in_project() { docker ps -q --filter "label=com.docker.compose.project=$PROJECT"; }
api() { curl -fsS --cacert "$CA" "$@"; }

# Infrastructure: services healthy, backups current, certificates, DNS, staging
docker ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}} {{.Status}}'
docker exec examday_sandbox_ops sh -c 'ls -lt /backups/backup_*.dump | head -3'
docker exec examday_sandbox_ops sh -c 'pg_restore --list "$(ls -t /backups/backup_*.dump | head -1)" | wc -l'
for host in api.exam.localhost exam.localhost; do
    echo | openssl s_client -connect 127.0.0.1:8443 -servername "$host" -CAfile "$CA" 2>/dev/null \
        | openssl x509 -noout -enddate
    dig +short @127.0.0.1 -p 5353 "$host"
done
api -u "staging:$(cat .state/staging-basic-auth)" https://staging.api.exam.localhost:8443/api/v1/health \
    --resolve staging.api.exam.localhost:8443:127.0.0.1; echo

# Configuration: exam mode, jobs, rate limits, resource limits
"${compose[@]}" -p "$PROJECT" -f docker-compose.yml config | grep -E 'EXAM_MODE|RATE_LIMIT|mem_limit|cpus'
token=$(api -X POST -H 'Content-Type: application/json' https://api.exam.localhost:8443/api/v1/auth/login \
    --resolve api.exam.localhost:8443:127.0.0.1 \
    -d "{\"email\": \"operator@exam.localhost\", \"password\": \"$(cat .state/operator-password)\"}" \
    | jq -r .tokens.access_token)
api -H "Authorization: Bearer $token" https://api.exam.localhost:8443/api/v1/admin/system/exam-mode \
    --resolve api.exam.localhost:8443:127.0.0.1; echo
docker exec examday_sandbox_ops sh -c 'cat /etc/cron.d/* /etc/crontab'
docker exec exam_platform_backend ps aux | { grep -E "(cron|celery|worker)" || true; }  # none is the good answer
docker inspect --format '{{.Name}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' $(in_project)

# Monitoring: Prometheus targets and rules, Alertmanager, a test alert end to end, logs, dashboard
curl -fsS http://127.0.0.1:9090/api/v1/targets | jq -r '.data.activeTargets[] | "\(.labels.job) \(.health)"'
curl -fsS http://127.0.0.1:9090/api/v1/rules | jq -r '.data.groups[].rules[] | "\(.name) \(.health)"'
curl -fsS http://127.0.0.1:9093/api/v2/status | jq -r .cluster.status
curl -fsS http://127.0.0.1:9093/api/v2/receivers | jq -r '.[].name'
test_id="shell-$(date +%s%N)"
alert() {  # $1: the alert's end time (empty: firing)
    local ends=${1:+, \"endsAt\": \"$1\"}
    curl -fsS -X POST -H 'Content-Type: application/json' http://127.0.0.1:9093/api/v2/alerts \
        -d "[{\"labels\": {\"alertname\": \"ExamdayTestAlert\", \"test_id\": \"$test_id\"}$ends}]"
}
received() {  # waits (at most 60 s) until the receiver recorded the test alert with status $1
    for _ in $(seq 600); do
        curl -fsS http://127.0.0.1:9095/alerts | jq -e --arg id "$test_id" --arg status "$1" \
            'any(.[]; .labels.test_id == $id and .status == $status)' >/dev/null && return 0
        sleep 0.1
    done
    echo "test alert $test_id not $1 at the receiver" >&2; return 1
}
alert "" && received firing
alert "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" && received resolved
docker logs exam_platform_backend --tail=100 2>&1 | grep request.end | tail -3
docker inspect --format '{{.Name}} {{.HostConfig.LogConfig.Type}} {{.HostConfig.LogConfig.Config}}' $(in_project)
curl -fsSL -o /dev/null -w '%{http_code}\n' --cacert "$CA" -u "ops:$(cat .state/dashboard-basic-auth)" \
    --resolve exam.localhost:8443:127.0.0.1 https://exam.localhost:8443/prometheus/graph

# Capacity: connections against max_connections, disk, the previous image for a rollback
docker exec exam_platform_postgres psql -U exam_user -d exam_platform -Atc \
    "SELECT count(*) FROM pg_stat_activity WHERE datname = 'exam_platform'; SHOW max_connections;"
docker exec exam_platform_postgres df -h /var/lib/postgresql/data
docker images --format '{{.Repository}}:{{.Tag}} {{.CreatedSince}}' | grep examday-sandbox/
