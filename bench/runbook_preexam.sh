#!/usr/bin/env bash
# The runbook's own pre-exam commands, as a tired operator would paste them,
# pointed at the sandbox. The baseline examday's pre-exam phase is timed against
# in bench_preexam.py. It asserts nothing: a human reads the output.
set -u
cd "$(dirname "$0")/../sandbox"
CA=.state/ca/ca.pem
compose() { docker-compose -p examday-sandbox -f docker-compose.yml "$@"; }

# Infrastructure
compose ps
docker exec exam_platform_backup ls -l /backups
docker exec exam_platform_backup sh -c 'pg_restore --list "$(ls -t /backups/*.dump | head -1)" | wc -l'
echo | openssl s_client -connect 127.0.0.1:8443 -servername api.exam.localhost -CAfile "$CA" 2>/dev/null \
    | openssl x509 -noout -enddate
echo | openssl s_client -connect 127.0.0.1:8443 -servername exam.localhost -CAfile "$CA" 2>/dev/null \
    | openssl x509 -noout -enddate
dig +short @127.0.0.1 -p 5353 api.exam.localhost
dig +short @127.0.0.1 -p 5353 exam.localhost
# Configuration
compose config | grep -E 'EXAM_MODE|SCHEDULED_JOBS|RATE_LIMIT|mem_limit|cpus'
docker exec exam_platform_backend printenv EXAM_MODE
curl -s --cacert "$CA" https://api.exam.localhost:8443/v1/system/exam-mode; echo
docker exec exam_platform_backend ps aux | grep -E "(cron|celery|worker)"
docker top exam_platform_backend
docker inspect --format '{{.Name}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}' \
    $(docker ps -q --filter label=com.docker.compose.project=examday-sandbox)
# Monitoring
docker logs exam_platform_backend --tail=100 2>&1 | grep request.end | tail -3
docker inspect --format '{{.Name}} {{.HostConfig.LogConfig.Type}} {{.HostConfig.LogConfig.Config}}' \
    $(docker ps -q --filter label=com.docker.compose.project=examday-sandbox)
# Final system check
docker exec exam_platform_postgres psql -U exam_user -d exam_platform -c \
    "SELECT count(*) as active_connections FROM pg_stat_activity WHERE datname = 'exam_platform';"
docker exec exam_platform_postgres psql -U exam_user -d exam_platform -c "SHOW max_connections;"
docker exec exam_platform_postgres df -h
