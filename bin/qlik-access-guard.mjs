#!/usr/bin/env node
// The compiled CLI: `npm run build` writes dist/ (and `prepare` runs it on `npm install`, `npm ci` and `npm pack`).
import '../dist/cli.mjs';
