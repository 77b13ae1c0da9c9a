#!/usr/bin/env bash
# The ops container's start: cron runs its jobs with an empty environment, so the
# connection settings the jobs and the backup need go to /etc/environment, which cron's
# PAM session (pam_env) reads for every job, as they would on a host.
set -euo pipefail
: >/etc/environment
for name in DATABASE_URL REDIS_URL JWT_SECRET API_PREFIX ENVIRONMENT REDIS_REQUIRED \
            PGHOST PGUSER PGDATABASE PGPASSWORD SYSTEM_FLAGS_CACHE_TTL_SECONDS; do
    if [[ -n "${!name:-}" ]]; then
        printf '%s=%s\n' "$name" "${!name}" >>/etc/environment
    fi
done
chmod 0600 /etc/environment
exec "$@"
