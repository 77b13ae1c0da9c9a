#!/usr/bin/env bash
# Container entrypoint of the sandbox backend image.
#   (no args)   migrate, then serve the API with uvicorn (the backend container)
#   scheduler   run the background job runner (the worker container, same image)
#   anything    exec'd as given (e.g. `python -m app.seed ...`, `bash`)
set -euo pipefail

# The image's virtualenv, whether or not the Dockerfile put it on PATH.
if [[ -d /opt/venv/bin && ":$PATH:" != *":/opt/venv/bin:"* ]]; then
    export PATH="/opt/venv/bin:$PATH"
fi

if [[ $# -gt 0 ]]; then
    if [[ "$1" == "scheduler" ]]; then
        exec python -m app.scheduler
    fi
    exec "$@"
fi

# prometheus_client's multiprocess files from a previous run would be summed
# into this one's counters: start every master with an empty directory.
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-/tmp/prometheus-multiproc}"
rm -rf "${PROMETHEUS_MULTIPROC_DIR:?}"
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"

python -m app.migrate

# --workers > 1 makes uvicorn start workers with multiprocessing *spawn*: in ps
# they show as "python3 -c from multiprocessing.spawn import spawn_main ...",
# exactly like the real platform, which examday's process checks must handle.
exec uvicorn app.main:app \
    --host 0.0.0.0 \
    --port 8000 \
    --workers "${UVICORN_WORKERS:-3}" \
    --limit-concurrency "${UVICORN_LIMIT_CONCURRENCY:-200}" \
    --limit-max-requests "${UVICORN_LIMIT_MAX_REQUESTS:-10000}" \
    --timeout-keep-alive 5 \
    --no-access-log
