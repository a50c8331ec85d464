#!/usr/bin/env bash
# Start Debian's PostgreSQL on loopback and make the test role and database.
# Prints the URL the tests use (HOTLINE_TEST_POSTGRES_URL). Idempotent.
set -euo pipefail
version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
    pg_createcluster "$version" main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
    pg_ctlcluster "$version" main start
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
password_file=${HOTLINE_STATE_DIR:-$(dirname "$0")/../var}/pg-test-password
mkdir -p "$(dirname "$password_file")"
if [ ! -s "$password_file" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$password_file")
fi
password=$(cat "$password_file")
runuser -u postgres -- psql -q -p "$port" -v ON_ERROR_STOP=1 <<SQL >/dev/null
DO \$\$BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hotline') THEN
    CREATE ROLE hotline LOGIN CREATEDB PASSWORD '$password';
  ELSE
    ALTER ROLE hotline PASSWORD '$password';
  END IF;
END\$\$;
SQL
if ! runuser -u postgres -- psql -p "$port" -tAc "SELECT 1 FROM pg_database WHERE datname='hotline_test'" | grep -q 1; then
    runuser -u postgres -- createdb -p "$port" -O hotline hotline_test
fi
echo "postgresql://hotline:$password@127.0.0.1:$port/hotline_test"
