#!/usr/bin/env bash
# Prove that a backup restores: load the demo data into a fresh PostgreSQL database, dump it with
# pg_dump, drop the database, restore it with pg_restore, and compare row counts and shortfall
# totals before and after (they must be identical). Needs a running PostgreSQL (PGHOST etc.).
set -euo pipefail
cd "$(dirname "$0")/.."
PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
db="aid_backup_check_$$"
work=$(mktemp -d)
cleanup() { dropdb --if-exists "$db" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
url="postgres://$PGUSER@$PGHOST:$PGPORT/$db"

createdb "$db"
DATABASE_URL="$url" .venv/bin/python manage.py migrate --noinput -v0
DATABASE_URL="$url" .venv/bin/python manage.py load_demo >/dev/null
DATABASE_URL="$url" .venv/bin/python manage.py db_fingerprint > "$work/before.json"

pg_dump --format=custom --no-owner --file="$work/aid.dump" "$db"
dropdb "$db"
createdb "$db"
pg_restore --no-owner --dbname="$db" "$work/aid.dump"
DATABASE_URL="$url" .venv/bin/python manage.py db_fingerprint > "$work/after.json"

if diff -u "$work/before.json" "$work/after.json"; then
  rows=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(d['counts'].values()))" "$work/before.json")
  echo "backup round trip: identical ($rows rows, shortfall totals equal)"
else
  echo "backup round trip: DIFFERENT after restore" >&2
  exit 1
fi
