/**
 * The chat alert: an AWS Chatbot custom notification (Slack mrkdwn). Short by design: the description stays within a
 * Slack section, lists the most important findings and points to the email and the stored report for the rest.
 */
import type { Finding } from '../report/model';
import { quoted, safeJson } from '../util/tenant-text';
import {
  CHAT_DESCRIPTION_MAX,
  CHAT_ITEM_MAX,
  CHAT_KEYWORD_MAX,
  CHAT_LIST_MAX,
  CHAT_TITLE_MAX,
  type ChatbotNotification,
} from './chatbot-schema';
import type { AlertContent, AlertContext } from './content';
import { groupBySeverityAndRule } from './email';
import { type FindingView, viewOf } from './finding-view';
import { fitTitle, headlineOf } from './headline';
import { BoundedText, field, oneLine, truncate, utf16Length } from './text';

const TRUNCATED = '… truncated, see the email or the full report';
const ITEM_MAX = 400;
const RULE_STEPS_MAX = 3;

export interface ChatMessage {
  readonly title: string;
  readonly notification: ChatbotNotification;
  /** The notification serialised: what the chat topic receives. */
  readonly body: string;
}

export function renderChat(content: AlertContent): ChatMessage {
  const { context } = content;
  const title = fitTitle('', context.tenantName, headlineOf(content));
  const notification: ChatbotNotification = {
    version: '1.0',
    source: 'custom',
    id: truncate(`${context.runId}#${context.tenantId}${content.kind === 'health' ? '#health' : ''}`, CHAT_ITEM_MAX),
    content: {
      textType: 'client-markdown',
      title: slack(title, CHAT_TITLE_MAX),
      description: description(content),
      nextSteps: nextSteps(content),
      keywords: keywords(content),
    },
    metadata: {
      threadId: truncate(oneLine(context.tenantId), CHAT_ITEM_MAX) || 'tenant',
      summary: slack(title, CHAT_ITEM_MAX),
      eventType: content.kind,
      relatedResources: [
        context.tenantUrl,
        ...(context.reportLink && !context.archiveFailed ? [context.reportLink] : []),
      ]
        .map((resource) => field(resource, 2_048))
        .filter((resource) => resource !== ''),
      additionalContext: additionalContext(content),
    },
  };
  return { title, notification, body: safeJson(notification) };
}

function description(content: AlertContent): string {
  const out = new BoundedText(CHAT_DESCRIPTION_MAX, TRUNCATED, utf16Length);
  const { context } = content;
  out.add(`*${escapeMrkdwn(headlineOf(content))}* on ${tenantLink(context)}`);
  const report = reportLine(context);
  if (report) out.add(report);
  for (const line of context.remediation ?? []) out.add(escapeMrkdwn(field(line, 600)));
  switch (content.kind) {
    case 'drift': {
      out.add(`Now failing *${content.totals.failing}* · suppressed by exceptions ${content.totals.suppressed}`);
      section(out, `New and reopened (${content.changed.length})`, content.changed, context.maxItemsPerSection);
      section(out, `Resolved (${content.resolved.length})`, content.resolved, context.maxItemsPerSection);
      if (content.stillFailing.length > 0) {
        out.add(`*Still failing (${content.stillFailing.length})*: listed in the email and the report.`);
      }
      break;
    }
    case 'reminder':
      out.add(`Nothing changed since ${escapeMrkdwn(content.since)}; still failing *${content.totals.failing}*.`);
      section(out, `Still failing (${content.failing.length})`, content.failing, context.maxItemsPerSection);
      break;
    case 'health':
      for (const issue of content.issues) {
        out.add(`*${issue.severity.toUpperCase()}* · ${escapeMrkdwn(issue.headline)}`);
        out.add(escapeMrkdwn(field(issue.meaning, 1_200)));
        if (issue.detail) out.add(`> Error: ${escapeMrkdwn(field(issue.detail, 500))}`);
      }
      break;
  }
  return out.toString();
}

function section(out: BoundedText, title: string, findings: readonly Finding[], maxItems: number): void {
  if (findings.length === 0) return;
  if (!out.add(`*${escapeMrkdwn(title)}*`)) return;
  for (const finding of findings.slice(0, maxItems)) {
    if (!out.add(itemLine(viewOf(finding)))) return;
  }
  if (findings.length > maxItems) out.add(`…and ${findings.length - maxItems} more`);
}

function itemLine(view: FindingView): string {
  const person = view.person;
  const who =
    view.subject.type === 'user' && person
      ? `${person.name ? quoted(person.name) : (person.id ?? quoted(view.subject.name))}${person.email ? ` (${person.email})` : ''}`
      : quoted(view.subject.name);
  const keys = view.keys.length + view.moreKeys;
  const parts = [
    `*${view.severity.toUpperCase()}*`,
    view.title,
    who,
    ...(keys > 0 ? [`${keys} key${keys === 1 ? '' : 's'}`] : []),
    `_${view.drift}${view.exception?.expired ? ', exception expired' : ''}_`,
  ];
  return `• ${slack(parts.join(' · '), ITEM_MAX)}`;
}

function nextSteps(content: AlertContent): string[] {
  const steps: string[] = [];
  if (content.kind === 'health') {
    for (const issue of content.issues) steps.push(...issue.actions);
  } else {
    const findings = content.kind === 'drift' ? content.changed : content.failing;
    for (const group of groupBySeverityAndRule(findings).slice(0, RULE_STEPS_MAX)) {
      const [first] = group;
      if (!first) continue;
      const view = viewOf(first);
      const example = group.length > 1 ? ` (${group.length} findings; each has its own fix in the email)` : '';
      steps.push(`${view.title}${example}: ${view.fix}`);
    }
  }
  const link = content.context.reportLink;
  if (link && !content.context.archiveFailed) steps.push(`Open the stored report: ${link}`);
  return steps.slice(0, CHAT_LIST_MAX).map((step) => slack(step, CHAT_ITEM_MAX));
}

function keywords(content: AlertContent): string[] {
  const words = [content.severity, content.kind, content.context.tenantName];
  if (content.kind === 'drift' || content.kind === 'reminder') {
    const findings = content.kind === 'drift' ? [...content.changed, ...content.resolved] : content.failing;
    for (const f of findings) {
      if (words.length >= 8) break;
      if (!words.includes(f.ruleId)) words.push(f.ruleId);
    }
  } else {
    for (const issue of content.issues) words.push(issue.code ?? issue.kind);
  }
  return [...new Set(words.map((w) => slack(w, CHAT_KEYWORD_MAX)).filter((w) => w !== ''))].slice(0, CHAT_LIST_MAX);
}

function additionalContext(content: AlertContent): Record<string, string> {
  const { context } = content;
  const entries: Record<string, string> = {
    tenantId: context.tenantId,
    tenantUrl: context.tenantUrl,
    runId: context.runId,
    severity: content.severity,
  };
  if (context.trigger) entries.trigger = context.trigger;
  if (context.remediation?.[0]) entries.remediation = context.remediation[0];
  if (content.kind === 'drift') {
    Object.assign(entries, {
      new: String(content.counts.new),
      reopened: String(content.counts.reopened),
      exceptionExpired: String(content.counts.exceptionExpired),
      resolved: String(content.counts.resolved),
      failing: String(content.totals.failing),
      suppressed: String(content.totals.suppressed),
    });
  } else if (content.kind === 'reminder') {
    Object.assign(entries, { failing: String(content.totals.failing), since: content.since });
  } else {
    entries.issues = content.issues.map((issue) => issue.code ?? issue.kind).join(', ');
  }
  if (context.archiveFailed) entries.report = 'not stored';
  else if (context.reportLink) entries.report = context.reportLink;
  return Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, field(value, CHAT_ITEM_MAX)]));
}

function tenantLink(context: AlertContext): string {
  const name = escapeMrkdwn(field(context.tenantName, 200));
  return isWebUrl(context.tenantUrl) ? `<${linkTarget(context.tenantUrl)}|${name}>` : `*${name}*`;
}

function reportLine(context: AlertContext): string | undefined {
  if (context.archiveFailed) return `:warning: *Report not stored:* ${escapeMrkdwn(field(context.archiveFailed, 400))}`;
  const link = context.reportLink;
  if (!link) return undefined;
  if (isWebUrl(link)) return `<${linkTarget(link)}|Open the stored report>`;
  return `Report: \`${escapeMrkdwn(field(link, 1_000).replaceAll('`', "'"))}\``;
}

function isWebUrl(text: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(text);
}

/** Slack link targets end at `|` or `>`; encode those and anything that could break out of the link. */
function linkTarget(url: string): string {
  return field(url, 2_000).replace(/[|<>\s&]/g, (c) => encodeURIComponent(c));
}

/** Slack mrkdwn control characters: `<!channel>`, `<@user>` and links only exist inside angle brackets. */
function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** Alert text for Slack: redacted, one line, escaped, then cut to `max` without leaving half an entity behind. */
function slack(text: string, max: number): string {
  const escaped = escapeMrkdwn(field(text, max));
  return escaped.length <= max ? escaped : truncate(escaped, max).replace(/&[a-z]*…$/, '…');
}
