#!/usr/bin/env bash
# The operator's backup, as the platform's docs describe it: `pg_dump -F c` into the
# backups folder as backup_YYYYMMDD_HHMMSS.dump (UTC), 30-day retention. Written under a
# temporary name and renamed, so a reader never sees half a file.
set -uo pipefail
: "${PGHOST:=exam_platform_postgres}" "${PGUSER:=exam_user}" "${PGDATABASE:=exam_platform}"
: "${BACKUP_DIR:=/backups}" "${RETENTION_DAYS:=30}"
export PGHOST PGUSER PGDATABASE
stamp=$(date -u +%Y%m%d_%H%M%S)
final="$BACKUP_DIR/backup_${stamp}.dump"
tmp="$BACKUP_DIR/.backup_${stamp}.partial"
if pg_dump -F c -f "$tmp"; then
    mv "$tmp" "$final"
    echo "{\"event\": \"backup.done\", \"file\": \"$final\", \"bytes\": $(stat -c %s "$final"), \"level\": \"info\"}"
else
    rm -f "$tmp"
    echo '{"event": "backup.failed", "level": "error"}'
    exit 1
fi
find "$BACKUP_DIR" -maxdepth 1 -name 'backup_*.dump' -mtime "+$RETENTION_DAYS" -print -delete | \
    sed 's/.*/{"event": "backup.pruned", "file": "&", "level": "info"}/'
