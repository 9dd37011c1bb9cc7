#!/bin/sh
# Stand-in for dpage/pgadmin4's /entrypoint.sh (dezc tests only).
# - First start (no /var/lib/pgadmin/pgadmin4.db yet): requires PGADMIN_DEFAULT_EMAIL and
#   PGADMIN_DEFAULT_PASSWORD or PGADMIN_DEFAULT_PASSWORD_FILE (same message and exit 1 as pgAdmin),
#   then "imports" ${PGADMIN_SERVER_JSON_FILE:-/pgadmin4/servers.json} by copying it to
#   /var/lib/pgadmin/servers.imported.json. Later starts skip both, like pgAdmin.
# - Serves GET /misc/ping ("PING") and GET /servers.json (the imported file, 404 if none)
#   on ${PGADMIN_LISTEN_ADDRESS:-all}:${PGADMIN_LISTEN_PORT:-80}, in the foreground (httpd -f).
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
set -- busybox httpd -f -v -h /srv/pgadmin/www -p "${PGADMIN_LISTEN_ADDRESS:+${PGADMIN_LISTEN_ADDRESS}:}${PORT}"
echo "Listening at: http://${PGADMIN_LISTEN_ADDRESS:-[::]}:${PORT}"
if [ "$$" != 1 ]; then
    exec "$@"
fi
# As PID 1, busybox httpd would ignore SIGTERM (no handler; the kernel drops default-action
# signals to PID 1) and `docker stop` would wait 10 s for SIGKILL. pgAdmin's gunicorn exits on
# SIGTERM at once, so stay as a minimal PID 1 that forwards TERM/INT and exits 0.
set +e  # with -e, dash would exit 143 from the interrupted `wait` before running the trap
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' TERM INT
wait "$child"
