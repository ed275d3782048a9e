/**
 * The CLI's tenants file: several tenants in one run, each naming where its credential comes from (an environment
 * variable or a Secrets Manager secret) — never the credential itself.
 */
import * as z from 'zod';
import { parseDocumentText, readDocumentText } from '../util/document';
import { inputErrorOf } from '../util/zod-input';

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
  const parsed = TenantsFileSchema.safeParse(parseDocumentText(text, file), { reportInput: true });
  // A tenants file names where credentials are; a value in the wrong place may be a pasted credential: never echoed.
  if (!parsed.success) throw inputErrorOf(file, parsed.error, TenantsFileSchema, { echoValues: false });
  return parsed.data.tenants;
}

export async function loadTenantsFile(file: string): Promise<TenantsFileEntry[]> {
  return parseTenantsFile(await readDocumentText(file, 'tenants file'), file);
}
