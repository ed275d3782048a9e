/**
 * Fault injection. A plan is a list of faults; each is bounded by where it applies (`path`, `method`) and how often
 * (`times`, `everyNth`, `after`), so a test can say "the first two GET /users answer 429" or "every third request is
 * slow" and still finish. Plans can be replaced at runtime; replacing resets the counters.
 */

export interface FaultScope {
  /**
   * Which requests the fault applies to: a string matches the path as a prefix (`/api/v1/roles` also matches
   * `/api/v1/roles/{id}`); a RegExp is tested against path and query (`/api/v1/users?limit=5`). Default: every request.
   */
  readonly path?: string | RegExp;
  /** HTTP method, e.g. `GET`. Default: any. */
  readonly method?: string;
  /** Fire at most this many times. Default: unbounded (bound it with `path`). */
  readonly times?: number;
  /** Fire on every nth matching request only (the nth, 2nth, …). */
  readonly everyNth?: number;
  /** Let this many matching requests through before the fault starts. */
  readonly after?: number;
}

export type Fault = FaultScope &
  (
    | { readonly kind: 'rate-limit'; readonly retryAfterSeconds?: number }
    | { readonly kind: 'server-error'; readonly status?: 500 | 502 | 503 | 504 }
    /** Extra delay before the response starts. */
    | { readonly kind: 'latency'; readonly ms: number }
    /** The body dribbles out in `chunks` pieces spread over `durationMs`. */
    | { readonly kind: 'slow-body'; readonly durationMs: number; readonly chunks?: number }
    /** An HTML page (a proxy's or login page) instead of JSON. */
    | { readonly kind: 'html'; readonly status?: 200 | 502 }
    /** 401 with the body variant of the `unauthorizedBody` setting. */
    | { readonly kind: 'unauthorized' }
    | { readonly kind: 'forbidden' }
    /** The next link of a page fetched with a cursor repeats that same cursor. */
    | { readonly kind: 'cursor-loop' }
    /** The next link points at another host. */
    | { readonly kind: 'foreign-next-link'; readonly host?: string }
    /** 200 with a truncated JSON body. */
    | { readonly kind: 'malformed-json' }
    /** The named field is removed from every entity in the body (e.g. users without `id`). */
    | { readonly kind: 'missing-field'; readonly field: string }
    /** The socket is destroyed without a response. */
    | { readonly kind: 'connection-reset' }
    /** The JSON body gains a `padding` string field of `bytes` characters (a hostile or broken tenant). */
    | { readonly kind: 'huge-body'; readonly bytes: number }
    /**
     * An error status with a non-JSON body of `bytes` unclosed tags (`<<<…`): the worst case for markup-stripping
     * patterns that backtrack.
     */
    | { readonly kind: 'huge-error'; readonly bytes: number; readonly status?: 500 | 502 }
    /** A Qlik-shaped JSON error whose `title` (and `detail`) the test chooses: error text a hostile tenant writes. */
    | {
        readonly kind: 'error-json';
        readonly status: 400 | 403 | 404 | 409;
        readonly title: string;
        readonly detail?: string;
      }
    /** A 200 JSON body whose `data` is `depth` nested arrays (`[[[…]]]`): the worst case for recursive readers. */
    | { readonly kind: 'deep-json'; readonly depth: number }
  );

export type FaultKind = Fault['kind'];
export type TerminalFault = Extract<
  Fault,
  {
    kind:
      | 'rate-limit'
      | 'server-error'
      | 'html'
      | 'unauthorized'
      | 'forbidden'
      | 'malformed-json'
      | 'connection-reset'
      | 'huge-error'
      | 'error-json'
      | 'deep-json';
  }
>;
export type FaultPlan = readonly Fault[];

/** Faults that replace the response entirely; the first one that fires wins. */
const TERMINAL: ReadonlySet<FaultKind> = new Set([
  'rate-limit',
  'server-error',
  'html',
  'unauthorized',
  'forbidden',
  'malformed-json',
  'connection-reset',
  'huge-error',
  'error-json',
  'deep-json',
]);

export interface FaultRequest {
  readonly method: string;
  readonly pathname: string;
  readonly search: string;
  /** The request carries a paging cursor (`next`, `prev`, `startingAfter`, `endingBefore`). */
  readonly hasCursor: boolean;
}

export interface FaultDecision {
  readonly delayMs: number;
  readonly terminal?: TerminalFault;
  readonly slowBody?: Extract<Fault, { kind: 'slow-body' }>;
  /** Body changes applied to an otherwise normal response. */
  readonly mutators: readonly Fault[];
  readonly fired: readonly FaultKind[];
}

interface Counter {
  seen: number;
  fired: number;
}

export class FaultInjector {
  private plan: FaultPlan = [];
  private counters: Counter[] = [];
  private readonly firedByKind = new Map<FaultKind, number>();

  constructor(plan: FaultPlan = []) {
    this.set(plan);
  }

  set(plan: FaultPlan): void {
    for (const f of plan) validateFault(f);
    this.plan = [...plan];
    this.counters = plan.map(() => ({ seen: 0, fired: 0 }));
  }

  firedCounts(): Record<string, number> {
    return Object.fromEntries(this.firedByKind);
  }

  decide(req: FaultRequest): FaultDecision {
    let delayMs = 0;
    let terminal: TerminalFault | undefined;
    let slowBody: Extract<Fault, { kind: 'slow-body' }> | undefined;
    const mutators: Fault[] = [];
    const fired: FaultKind[] = [];
    this.plan.forEach((fault, i) => {
      if (!appliesTo(fault, req)) return;
      const counter = this.counters[i]!;
      counter.seen++;
      const after = fault.after ?? 0;
      if (counter.seen <= after) return;
      if (fault.everyNth !== undefined && (counter.seen - after) % fault.everyNth !== 0) return;
      if (fault.times !== undefined && counter.fired >= fault.times) return;
      if (TERMINAL.has(fault.kind) && terminal) return;
      counter.fired++;
      fired.push(fault.kind);
      this.firedByKind.set(fault.kind, (this.firedByKind.get(fault.kind) ?? 0) + 1);
      if (fault.kind === 'latency') delayMs += fault.ms;
      else if (fault.kind === 'slow-body') slowBody = fault;
      else if (isTerminal(fault)) terminal = fault;
      else mutators.push(fault);
    });
    return { delayMs, terminal, slowBody, mutators, fired };
  }
}

function isTerminal(fault: Fault): fault is TerminalFault {
  return TERMINAL.has(fault.kind);
}

function appliesTo(fault: Fault, req: FaultRequest): boolean {
  if (fault.method && fault.method.toUpperCase() !== req.method) return false;
  if (typeof fault.path === 'string' && !req.pathname.startsWith(fault.path)) return false;
  if (fault.path instanceof RegExp && !fault.path.test(req.pathname + req.search)) return false;
  if (fault.kind === 'cursor-loop' && !req.hasCursor) return false;
  return true;
}

function validateFault(f: Fault): void {
  const positive = (n: number | undefined, name: string) => {
    if (n !== undefined && !(Number.isInteger(n) && n >= (name === 'after' ? 0 : 1)))
      throw new RangeError(
        `fault ${f.kind}: ${name} must be a ${name === 'after' ? 'non-negative' : 'positive'} integer, got ${n}`,
      );
  };
  positive(f.times, 'times');
  positive(f.everyNth, 'everyNth');
  positive(f.after, 'after');
}
