#!/usr/bin/env bash
# Start Debian's PostgreSQL on loopback and make the test role and database.
# Prints the URL the tests use (HOTLINE_TEST_POSTGRES_URL) and nothing else on
# stdout, because the caller captures it with $(...). Idempotent.
# Usage: start-postgres.sh [cluster-name]   (default: main)
set -euo pipefail
cluster=${1:-main}
version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
url=""

cluster_field() {
    pg_lsclusters -h | awk -v v="$version" -v c="$cluster" -v f="$1" '$1==v && $2==c {print $f}'
}

prepare_cluster() {
    if [ -z "$(cluster_field 2)" ]; then
        # UTF-8 even when the caller's locale is C (SQL_ASCII would hand back bytes).
        pg_createcluster --encoding=UTF8 --locale=C.UTF-8 "$version" "$cluster"
    fi
    if [ "$(cluster_field 4)" != online ]; then
        pg_ctlcluster "$version" "$cluster" start
    fi
    local port password password_file
    port=$(cluster_field 3)
    password_file=${HOTLINE_STATE_DIR:-$(dirname "$0")/../var}/pg-test-password
    mkdir -p "$(dirname "$password_file")"
    if [ ! -s "$password_file" ]; then
        (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$password_file")
    fi
    password=$(cat "$password_file")
    runuser -u postgres -- psql -q -p "$port" -v ON_ERROR_STOP=1 <<SQL
DO \$\$BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hotline') THEN
    CREATE ROLE hotline LOGIN CREATEDB PASSWORD '$password';
  ELSE
    ALTER ROLE hotline PASSWORD '$password';
  END IF;
END\$\$;
SQL
    if ! runuser -u postgres -- psql -p "$port" -tAc \
            "SELECT 1 FROM pg_database WHERE datname='hotline_test'" | grep -q 1; then
        runuser -u postgres -- createdb -p "$port" -O hotline -E UTF8 --locale=C.UTF-8 \
            -T template0 hotline_test
    fi
    url="postgresql://hotline:$password@127.0.0.1:$port/hotline_test"
}

# What the PostgreSQL tools print (pg_ctlcluster says "Removed stale pid file."
# after an unclean shutdown) goes to stderr. No spare descriptor is opened for
# the URL: the server started here would inherit it and $(...) would never end.
prepare_cluster >&2
echo "$url"
