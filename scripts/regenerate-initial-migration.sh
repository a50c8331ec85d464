#!/usr/bin/env bash
# Until the first release the schema is one initial migration, regenerated from the
# models (nothing is deployed that an edited revision could break). After the first
# release: `alembic revision --autogenerate` for each change, never this.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
rm -f models/migrations/versions/0001_initial_schema.py
.venv/bin/python - "$scratch" <<'PY'
import sys
from alembic import command
from models.migrate import alembic_config
config = alembic_config(f"sqlite:///{sys.argv[1]}/empty.sqlite3")
command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
PY
mv models/migrations/versions/0001_initial_schema.py models/migrations/versions/0001_initial_schema.py 2>/dev/null || true
ls models/migrations/versions/
