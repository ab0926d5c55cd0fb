#!/usr/bin/env bash
# Backs up the PostgreSQL database and the uploaded files into one dated folder:
#   TARGET/20260301T021500Z/{database.dump, media.tar.gz, SHA256SUMS}
#
# Usage: deploy/backup.sh [TARGET]        (TARGET defaults to /var/backups/kokemus)
# Reads DATABASE_URL (or DATABASE_URL_FILE) and MEDIA_ROOT as the application does; see
# docs/operations.md for running it nightly from a systemd timer. Keeps BACKUP_KEEP_DAYS (30) days.
# With object storage (FILE_STORAGE_BACKEND) the uploads are backed up by the storage's own
# versioning or replication instead; only the database is dumped here.
set -euo pipefail
umask 077

target=${1:-/var/backups/kokemus}
database_url=${DATABASE_URL:-}
if [ -z "$database_url" ] && [ -n "${DATABASE_URL_FILE:-}" ]; then
  database_url=$(<"$DATABASE_URL_FILE")
fi
case "$database_url" in
  postgres://* | postgresql://*) ;;
  *) echo "backup.sh: DATABASE_URL must be a postgres:// URL" >&2; exit 2 ;;
esac

folder="$target/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$folder"
# Custom format: compressed, and pg_restore can restore it into an empty database of a newer version.
pg_dump --format=custom --no-owner --no-privileges --file="$folder/database.dump" "$database_url"
if [ -n "${MEDIA_ROOT:-}" ] && [ -d "$MEDIA_ROOT" ]; then
  tar -C "$MEDIA_ROOT" -czf "$folder/media.tar.gz" .
fi
(cd "$folder" && sha256sum -- * >SHA256SUMS)

find "$target" -mindepth 1 -maxdepth 1 -type d -name '20*Z' -mtime +"${BACKUP_KEEP_DAYS:-30}" -exec rm -rf -- {} +
echo "$folder"
