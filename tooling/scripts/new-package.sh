#!/usr/bin/env bash
# new-package.sh <dir> <npm name> "<description>" [workspace deps...]
set -euo pipefail
dir=packages/$1; name=$2; desc=$3; shift 3
mkdir -p "$dir/src" "$dir/test"
deps=""
for d in "$@"; do deps="$deps    \"$d\": \"workspace:^\",\n"; done
deps=$(printf "$deps" | sed '$ s/,$//')
cat > "$dir/package.json" <<JSON
{
  "name": "$name",
  "version": "0.1.0",
  "description": "$desc",
  "license": "MIT",
  "type": "module",
  "engines": { "node": ">=20" },
  "sideEffects": false,
  "main": "./dist/index.cjs",
  "module": "./dist/index.js",
  "types": "./dist/index.d.ts",
  "exports": {
    ".": {
      "import": { "types": "./dist/index.d.ts", "default": "./dist/index.js" },
      "require": { "types": "./dist/index.d.cts", "default": "./dist/index.cjs" }
    },
    "./package.json": "./package.json"
  },
  "files": ["dist", "README.md"],
  "scripts": {
    "build": "tsup",
    "test": "vitest run",
    "typecheck": "tsc -p tsconfig.json",
    "lint": "publint --strict"
  },
  "dependencies": {
$deps
  },
  "repository": { "type": "git", "url": "https://github.com/multiproc/multiproc.git", "directory": "$dir" }
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tooling/tsconfig.base.json",
  "include": ["src", "test", "*.ts"]
}
JSON
cat > "$dir/tsup.config.ts" <<TS
import { defineConfig } from 'tsup';
import { packageConfig } from '../../tooling/tsup.base';

export default defineConfig(packageConfig());
TS
cat > "$dir/vitest.config.ts" <<TS
import { sharedConfig } from '../../tooling/vitest.shared';

export default sharedConfig;
TS
