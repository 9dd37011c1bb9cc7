#!/bin/sh
# Stand-in for dpage/pgadmin4's /entrypoint.sh (dezc tests only).
# - First start (no /var/lib/pgadmin/pgadmin4.db yet): requires PGADMIN_DEFAULT_EMAIL and
#   PGADMIN_DEFAULT_PASSWORD or PGADMIN_DEFAULT_PASSWORD_FILE (same message and exit 1 as pgAdmin),
#   then "imports" ${PGADMIN_SERVER_JSON_FILE:-/pgadmin4/servers.json} by copying it to
#   /var/lib/pgadmin/servers.imported.json. Later starts skip both, like pgAdmin.
# - Serves GET /misc/ping ("PING") and GET /servers.json (the imported file, 404 if none)
#   on ${PGADMIN_LISTEN_ADDRESS:-all}:${PGADMIN_LISTEN_PORT:-80}, in the foreground.
set -e

DATA_DIR=/var/lib/pgadmin
CONFIG_DB="$DATA_DIR/pgadmin4.db"

if [ ! -f "$CONFIG_DB" ]; then
    if [ -z "${PGADMIN_DEFAULT_EMAIL}" ] || { [ -z "${PGADMIN_DEFAULT_PASSWORD}" ] && [ -z "${PGADMIN_DEFAULT_PASSWORD_FILE}" ]; }; then
        echo 'You need to define the PGADMIN_DEFAULT_EMAIL and PGADMIN_DEFAULT_PASSWORD or PGADMIN_DEFAULT_PASSWORD_FILE environment variables.'
        exit 1
    fi

    mkdir -p "$DATA_DIR"
    PGADMIN_SERVER_JSON_FILE="${PGADMIN_SERVER_JSON_FILE:-/pgadmin4/servers.json}"
    if [ -f "$PGADMIN_SERVER_JSON_FILE" ]; then
        cp "$PGADMIN_SERVER_JSON_FILE" "$DATA_DIR/servers.imported.json.tmp"
        mv "$DATA_DIR/servers.imported.json.tmp" "$DATA_DIR/servers.imported.json"
        echo "Imported servers from $PGADMIN_SERVER_JSON_FILE for user $PGADMIN_DEFAULT_EMAIL"
    fi
    # marker last: an interrupted first start is retried in full, as pgAdmin would
    printf 'dezc pgAdmin stand-in config db\nuser=%s\n' "$PGADMIN_DEFAULT_EMAIL" > "$CONFIG_DB"
fi

PORT="${PGADMIN_LISTEN_PORT:-80}"
echo "Listening at: http://${PGADMIN_LISTEN_ADDRESS:-[::]}:${PORT}"
exec busybox httpd -f -v -h /srv/pgadmin/www -p "${PGADMIN_LISTEN_ADDRESS:+${PGADMIN_LISTEN_ADDRESS}:}${PORT}"
