#!/usr/bin/env bash
# Container entrypoint of the sandbox backend image (also the base of the ops image).
#   serve [UVICORN FLAGS...]  migrate, check Redis, then serve the API with uvicorn (the backend
#                             container). Extra flags (the careful deployment's
#                             `--proxy-headers --forwarded-allow-ips=*`) come from the compose
#                             command; empty ones are dropped, so a compose variable can remove them.
#   anything else             exec'd as given (e.g. `python -m app.seed ...`, `cron -f`, `bash`)
set -euo pipefail

if [[ -d /opt/venv/bin && ":$PATH:" != *":/opt/venv/bin:"* ]]; then
    export PATH="/opt/venv/bin:$PATH"
fi

if [[ "${1:-serve}" != serve ]]; then
    exec "$@"
fi
shift || true
extra=()
for flag in "$@"; do
    [[ -n "$flag" ]] && extra+=("$flag")
done

# Fails (and the container exits) on a database of another schema version or when Redis
# does not answer: the platform's backend does not start without Redis.
python -m app.migrate

# --workers > 1 makes uvicorn start workers with multiprocessing *spawn*: in ps they show
# as "python3 -c from multiprocessing.spawn import spawn_main ...", as on the platform.
exec uvicorn app.main:app --host 0.0.0.0 --port 8000 \
    --workers "${UVICORN_WORKERS:-5}" \
    --timeout-keep-alive 5 --limit-concurrency 200 --limit-max-requests 10000 \
    "${extra[@]}"
