/** Compliance metadata on findings: the controls each finding's rule maps to, from the rule's metadata. */
import type { Finding } from '../report/model';
import { ruleMetadata } from './evaluate';
import type { Policy } from './schema';

/**
 * The finding with the controls its rule maps to (e.g. `{ 'SOC 2': ['CC6.1'] }`), so auditors and SIEMs read them
 * from the finding itself (OCSF `compliance`, HTML). A rule without mapped controls leaves the finding as it is.
 */
export function withControls(policy: Policy, finding: Finding): Finding {
  const compliance = ruleMetadata(policy, finding.ruleId)?.compliance;
  return compliance && Object.keys(compliance).length > 0 ? { ...finding, compliance } : finding;
}
