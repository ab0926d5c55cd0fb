#!/usr/bin/env bash
# Runs manage.py with the services' environment, as the service user:
#   sudo -u kokemus /srv/kokemus/app/deploy/manage.sh migrate
# KOKEMUS_ENV names another environment file (default /etc/kokemus/kokemus.env).
set -euo pipefail
app=$(cd "$(dirname "$0")/.." && pwd)
set -a
# shellcheck disable=SC1090
. "${KOKEMUS_ENV:-/etc/kokemus/kokemus.env}"
set +a
exec "$app/.venv/bin/python" "$app/manage.py" "$@"
