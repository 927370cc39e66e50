// A deadline on every HTTP request this process makes. Fedify delivers activities with the
// global fetch and no timeout of its own: a server that accepts the connection and never answers
// would hold a delivery worker for as long as TCP allows, and every other server's deliveries
// would wait behind it. With a deadline the attempt fails, the queue retries it later with backoff,
// and the worker moves on (docs/performance.md, "Federation fan-out"). Requests that carry their
// own signal keep it, and get the deadline too.
export const OUTGOING_TIMEOUT_MS = 20_000;

let installed = false;

export function installOutgoingDeadline(ms = OUTGOING_TIMEOUT_MS): void {
  if (installed) return;
  installed = true;
  const original = globalThis.fetch;
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    const own = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const signal = own ? AbortSignal.any([own, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms);
    return original(input, { ...init, signal });
  }) as typeof fetch;
}
