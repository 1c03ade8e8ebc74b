#!/usr/bin/env bash
# Proves that a typed client of BotBeat compiles against the API as the code serves it: the
# schema generated from the project, TypeScript types generated from it (openapi-typescript),
# and the programs in src/ (openapi-fetch) checked by `tsc --strict`. A renamed or retyped
# field, a removed path or parameter, fails here as it would in a third party's build.
# Needs Node 20+ and npm; works from a clean clone (`npm ci` installs package-lock.json's
# exact versions).
set -euo pipefail
cd "$(dirname "$0")"

schema="$(mktemp --suffix=.yaml)"
trap 'rm -f "$schema"' EXIT

(cd ../.. && uv run python manage.py spectacular --file "$schema")
npm ci --no-audit --no-fund --loglevel=warn >/dev/null
# src/schema.d.ts is generated, never committed (.gitignore).
npx --no-install openapi-typescript "$schema" --output src/schema.d.ts
npx --no-install tsc --strict --noEmit --project tsconfig.json
echo "typed client: compiles against the schema"
