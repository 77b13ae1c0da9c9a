#!/usr/bin/env bash
# One pg_dump -Fc at start, then every BACKUP_INTERVAL_SECONDS; keeps BACKUP_KEEP files.
# A dump is written to a temporary name and renamed, so a reader never sees half a file.
set -uo pipefail
: "${BACKUP_INTERVAL_SECONDS:=3600}" "${BACKUP_KEEP:=48}" "${PGHOST:=exam_platform_postgres}"
: "${PGUSER:=exam_user}" "${PGDATABASE:=exam_platform}"
export PGHOST PGUSER PGDATABASE
trap 'exit 0' TERM INT

dump_once() {
    local stamp tmp final
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    tmp="/backups/.${PGDATABASE}-${stamp}.partial"
    final="/backups/${PGDATABASE}-${stamp}.dump"
    if pg_dump -Fc -f "$tmp"; then
        mv "$tmp" "$final"
        echo "{\"event\": \"backup.done\", \"file\": \"$final\", \"bytes\": $(stat -c %s "$final")}"
    else
        rm -f "$tmp"
        echo "{\"event\": \"backup.failed\", \"level\": \"error\"}"
    fi
    ls -1t /backups/*.dump 2>/dev/null | tail -n +"$((BACKUP_KEEP + 1))" | xargs -r rm -f
}

until pg_isready -q; do sleep 1; done
if [ "${1:-}" = once ]; then  # `docker exec <backup> backup-loop.sh once`: a backup now
    dump_once
    exit 0
fi
while true; do
    # An operator (or the sandbox's stale-backup fault) pauses the schedule with this flag.
    if [ -e /backups/.paused ]; then
        echo '{"event": "backup.skipped", "reason": "paused", "level": "warning"}'
    else
        dump_once
    fi
    sleep "$BACKUP_INTERVAL_SECONDS" & wait $!
done
