#!/usr/bin/env bash
# The official dpage/pgadmin4 entrypoint's contract, re-implemented for dezc's test image (real
# pgAdmin inside): first start needs PGADMIN_DEFAULT_EMAIL and PGADMIN_DEFAULT_PASSWORD (or
# _FILE); config_distro.py gets PGADMIN_CONFIG_* once; the configuration database is created and
# PGADMIN_SERVER_JSON_FILE (default /pgadmin4/servers.json) is loaded for that user on first start
# only; gunicorn serves on ${PGADMIN_LISTEN_ADDRESS:-[::]}:${PGADMIN_LISTEN_PORT:-80}.
set -e
if [ -n "${PGADMIN_DEFAULT_PASSWORD_FILE:-}" ] && [ -z "${PGADMIN_DEFAULT_PASSWORD:-}" ]; then
  PGADMIN_DEFAULT_PASSWORD="$(cat "$PGADMIN_DEFAULT_PASSWORD_FILE")"
  export PGADMIN_DEFAULT_PASSWORD
fi

if [ ! -s /pgadmin4/config_distro.py ]; then
  {
    echo "CA_FILE = '/etc/ssl/certs/ca-certificates.crt'"
    echo "LOG_FILE = '/dev/null'"
    echo "HELP_PATH = '../../docs'"
    echo "DEFAULT_BINARY_PATHS = {'pg': '/usr/lib/postgresql/15/bin'}"
    for var in $(env | grep '^PGADMIN_CONFIG_' | cut -d= -f1); do
      val="${!var}"
      case "${val,,}" in true) val=True ;; false) val=False ;; esac
      echo "${var#PGADMIN_CONFIG_} = $val"
    done
  } > /pgadmin4/config_distro.py
fi

if [ ! -f /var/lib/pgadmin/pgadmin4.db ]; then
  if [ -z "${PGADMIN_DEFAULT_EMAIL:-}" ] || [ -z "${PGADMIN_DEFAULT_PASSWORD:-}" ]; then
    echo 'You need to define the PGADMIN_DEFAULT_EMAIL and PGADMIN_DEFAULT_PASSWORD or PGADMIN_DEFAULT_PASSWORD_FILE environment variables.'
    exit 1
  fi
  export PGADMIN_SETUP_EMAIL="$PGADMIN_DEFAULT_EMAIL" PGADMIN_SETUP_PASSWORD="$PGADMIN_DEFAULT_PASSWORD"
  cd /pgadmin4
  python3 run_pgadmin.py
  servers="${PGADMIN_SERVER_JSON_FILE:-/pgadmin4/servers.json}"
  if [ -f "$servers" ]; then
    # setup.py took options before pgAdmin 7 (the 4.x entrypoint's --load-servers), subcommands after.
    case "${PGADMIN_VERSION:-}" in
      4.* | 5.* | 6.*) python3 /pgadmin4/setup.py --load-servers "$servers" --user "$PGADMIN_DEFAULT_EMAIL" ;;
      *) python3 /pgadmin4/setup.py load-servers "$servers" --user "$PGADMIN_DEFAULT_EMAIL" ;;
    esac
  fi
fi

cd /pgadmin4
TIMEOUT=$(python3 -c 'import config; print(config.SESSION_EXPIRATION_TIME * 60 * 60 * 24)')
exec python3 -m gunicorn --timeout "$TIMEOUT" --bind "${PGADMIN_LISTEN_ADDRESS:-[::]}:${PGADMIN_LISTEN_PORT:-80}" -w 1 --threads "${GUNICORN_THREADS:-25}" --access-logfile - run_pgadmin:app
