/**
 * The CLI's tenants file: several tenants in one run, each naming where its credential comes from (an environment
 * variable or a Secrets Manager secret) — never the credential itself.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import * as z from 'zod';
import { InputError } from '../errors';

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');

export const TenantsFileEntrySchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash or underscore')
      .optional(),
    url: z.string().min(1),
    apiKeyEnv: EnvName.optional(),
    clientIdEnv: EnvName.optional(),
    clientSecretEnv: EnvName.optional(),
    secretId: z.string().min(1).optional(),
    allowedHosts: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .refine((t) => Boolean(t.clientIdEnv) === Boolean(t.clientSecretEnv), {
    message: 'clientIdEnv and clientSecretEnv go together',
  })
  .refine((t) => [t.apiKeyEnv, t.clientIdEnv, t.secretId].filter(Boolean).length <= 1, {
    message: 'name one credential source: apiKeyEnv, clientIdEnv + clientSecretEnv, or secretId',
  });

export const TenantsFileSchema = z.object({ tenants: z.array(TenantsFileEntrySchema).min(1) }).strict();

export type TenantsFileEntry = z.infer<typeof TenantsFileEntrySchema>;

export function parseTenantsFile(text: string, file: string): TenantsFileEntry[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    if (error instanceof YAMLParseError) {
      const where = error.linePos?.[0];
      throw new InputError(file, where ? `line ${where.line}, column ${where.col}` : '', `valid YAML (${error.code})`, {
        cause: error,
      });
    }
    throw error;
  }
  const parsed = TenantsFileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(file, issue.path.join('.') || '(top level)', issue.message);
  }
  return parsed.data.tenants;
}

export async function loadTenantsFile(file: string): Promise<TenantsFileEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(file, '', 'a readable tenants file', { cause: error });
  }
  return parseTenantsFile(text, file);
}
