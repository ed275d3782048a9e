/**
 * Reads the chain-head anchors (./anchor.ts) back from a CloudWatch Logs log group: every event with the anchor
 * message, all streams, all of the group's retention.
 */
import { type CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CHAIN_HEAD_MESSAGE, type ChainHeadAnchor, parseChainHeadLine } from './anchor';

/** The log group could not be read; names it, never the credentials. */
export class AnchorLogError extends Error {
  override readonly name = 'AnchorLogError';
  constructor(
    readonly logGroupName: string,
    options?: { cause?: unknown },
  ) {
    const cause = options?.cause instanceof Error ? `: ${options.cause.name} (${options.cause.message})` : '';
    super(`the chain-head log group ${logGroupName} could not be read${cause}`, options);
  }
}

export async function readChainHeadAnchors(
  logs: CloudWatchLogsClient,
  logGroupName: string,
): Promise<ChainHeadAnchor[]> {
  const anchors: ChainHeadAnchor[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await logs.send(
        new FilterLogEventsCommand({
          logGroupName,
          filterPattern: `"${CHAIN_HEAD_MESSAGE}"`,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      for (const event of page.events ?? []) {
        const anchor = event.message ? parseChainHeadLine(event.message) : undefined;
        if (anchor) anchors.push(anchor);
      }
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (error) {
    throw new AnchorLogError(logGroupName, { cause: error });
  }
  return anchors;
}
