#!/usr/bin/env bash
# Scaffolds a workspace package: tools/new-package.sh DIR NAME TAG "DEP1 DEP2"
set -euo pipefail
dir=$1 name=$2 tag=$3 deps=${4:-}
mkdir -p "$dir/src"
depjson=""; refs=""
for d in $deps; do
  depjson="$depjson\"@pagelab/$d\": \"*\","
  case $d in policy-*|kernel-core|events|engine|workloads|policy-testkit) refs="$refs{ \"path\": \"../../packages/$d\" },";; *) refs="$refs{ \"path\": \"../../apps/$d\" },";; esac
done
depjson=${depjson%,}; refs=${refs%,}
cat > "$dir/package.json" <<J
{
  "name": "@pagelab/$name",
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "exports": { ".": { "development": "./src/index.ts", "types": "./dist/index.d.ts", "default": "./dist/index.js" } },
  "scripts": {
    "build": "tsc -b tsconfig.json",
    "typecheck": "tsc -p tsconfig.spec.json",
    "lint": "eslint src"
  },
  "nx": { "tags": ["$tag"] },
  "dependencies": { $depjson }
}
J
cat > "$dir/tsconfig.json" <<J
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "rootDir": "src", "outDir": "dist", "tsBuildInfoFile": "dist/tsconfig.tsbuildinfo" },
  "include": ["src/**/*.ts"],
  "exclude": ["src/**/*.test.ts"],
  "references": [ $refs ]
}
J
cat > "$dir/tsconfig.spec.json" <<J
{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "composite": false, "declaration": false, "declarationMap": false, "noEmit": true },
  "include": ["src/**/*.ts", "vitest.config.ts"]
}
J
cat > "$dir/vitest.config.ts" <<J
import { defineConfig } from 'vitest/config';

export default defineConfig({ test: { include: ['src/**/*.test.ts'], environment: 'node' } });
J
[ -f "$dir/src/index.ts" ] || echo "export {};" > "$dir/src/index.ts"
