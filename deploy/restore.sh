#!/usr/bin/env bash
# Restores a backup made by deploy/backup.sh into an EMPTY database and the uploads folder.
#
# Usage: deploy/restore.sh BACKUP_FOLDER
# Reads DATABASE_URL (or DATABASE_URL_FILE) and MEDIA_ROOT as the application does. Stop the web,
# worker and scheduler services first; create the empty database with `createdb` (docs/operations.md).
# A database that already has tables is refused, so a mistyped URL cannot overwrite live data.
set -euo pipefail

folder=${1:?usage: restore.sh BACKUP_FOLDER}
database_url=${DATABASE_URL:-}
if [ -z "$database_url" ] && [ -n "${DATABASE_URL_FILE:-}" ]; then
  database_url=$(<"$DATABASE_URL_FILE")
fi
case "$database_url" in
  postgres://* | postgresql://*) ;;
  *) echo "restore.sh: DATABASE_URL must be a postgres:// URL" >&2; exit 2 ;;
esac

(cd "$folder" && sha256sum --check --quiet SHA256SUMS)

tables=$(psql "$database_url" --no-psqlrc --tuples-only --no-align \
  --command "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
if [ "$tables" != "0" ]; then
  echo "restore.sh: the target database is not empty ($tables tables); restore into a new empty database" >&2
  exit 3
fi
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$database_url" \
  "$folder/database.dump"

if [ -f "$folder/media.tar.gz" ]; then
  : "${MEDIA_ROOT:?restore.sh: set MEDIA_ROOT to restore the uploads}"
  mkdir -p "$MEDIA_ROOT"
  tar -C "$MEDIA_ROOT" -xzf "$folder/media.tar.gz"
fi
echo "Restored $folder"
