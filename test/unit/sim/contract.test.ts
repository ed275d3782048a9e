/**
 * The type contract with Qlik: the simulator's bodies are typed against @qlik/api, so drift fails the compiler. This
 * test compiles the simulator with the project's compiler options, and compiles a deliberately drifted body to prove
 * the wire types really are Qlik's (a loose `any` would let it through).
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const SIM = join(ROOT, 'test/sim');
const DRIFT = join(SIM, '__contract_drift__.ts');

const DRIFT_SOURCE = `
import type { WireApiKey, WireGroup, WireRole, WireTenant, WireUser } from './wire';
export const userWithoutSubject: WireUser = { id: 'x', tenantId: 't', name: 'n' };
export const keyWithDisabledStatus: WireApiKey = { id: 'k', tenantId: 't', description: '', sub: 's', subType: 'user', status: 'disabled', expiry: '', createdByUser: '' };
export const roleOfUnknownType: WireRole = { id: 'r', tenantId: '', name: 'n', description: '', type: 'builtin', createdAt: '', lastUpdatedAt: '', links: { self: { href: '' } } };
export const groupWithoutLinks: WireGroup = { id: 'g', tenantId: 't', name: 'n', status: 'active', createdAt: '', lastUpdatedAt: '' };
export const tenantWithNumericName: WireTenant = { id: 't', name: 42 };
`;

function simFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? simFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

function compile(extra: Record<string, string>): readonly ts.Diagnostic[] {
  const configFile = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT);
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, onError, shouldCreate) =>
    extra[name] !== undefined
      ? ts.createSourceFile(name, extra[name]!, languageVersion)
      : getSourceFile(name, languageVersion, onError, shouldCreate);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => extra[name] !== undefined || fileExists(name);
  // The files that build response bodies; `npx tsc --noEmit` covers the rest of the simulator.
  const roots = [join(SIM, 'wire.ts'), join(SIM, 'http.ts'), ...simFiles(join(SIM, 'routes'))];
  const program = ts.createProgram([...roots, ...Object.keys(extra)], options, host);
  return ts.getPreEmitDiagnostics(program);
}

describe('type contract with @qlik/api', () => {
  let diagnostics: readonly ts.Diagnostic[] = [];
  beforeAll(() => {
    diagnostics = compile({ [DRIFT]: DRIFT_SOURCE });
  }, 60_000);
  const text = (d: ts.Diagnostic) => ts.flattenDiagnosticMessageText(d.messageText, '\n');

  it('compiles the body-building simulator files without errors', () => {
    const simErrors = diagnostics
      .filter((d) => d.file?.fileName !== DRIFT)
      .map((d) => `${d.file?.fileName ?? ''}: ${text(d)}`);
    expect(simErrors).toEqual([]);
  });

  it('rejects bodies that drift from Qlik published shapes', () => {
    const drift = diagnostics.filter((d) => d.file?.fileName === DRIFT);
    const lines = new Set(drift.map((d) => d.file!.getLineAndCharacterOfPosition(d.start!).line));
    // One error on each of the five drifted declarations (lines 3-7 of the source).
    expect([...lines].sort()).toEqual([2, 3, 4, 5, 6]);
    const all = drift.map(text).join('\n');
    expect(all).toContain('subject');
    expect(all).toContain('"disabled"');
    expect(all).toContain('"builtin"');
    expect(all).toContain('links');
  });
});
