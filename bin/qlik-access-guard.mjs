#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the repository needs no separate build step.
// biome-ignore lint/correctness/noUndeclaredDependencies: replaced by a compiled entry point (issue 10)
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../lambda/cli.ts');
process.exitCode = await main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  cwd: process.cwd(),
});
