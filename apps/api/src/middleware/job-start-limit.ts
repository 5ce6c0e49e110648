import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import type { ApiEnv } from "../api-context.js";
import { ApiError } from "../api-error.js";

/** How many runs or re-classifications one client may start. */
export interface JobStartLimits {
  /** Jobs of one client running at once (default 3). */
  inFlight: number;
  /** Jobs one client may start in any 60 seconds (default 10). */
  perMinute: number;
}

export const defaultJobStartLimits: JobStartLimits = { inFlight: 3, perMinute: 10 };

const minuteMs = 60_000;
/** When a client is at its in-flight limit there is no telling when a job ends: ask it to look again soon. */
const inFlightRetrySeconds = 10;

/** A job start held for a client while the request is checked; bound to the job once it starts. */
export interface JobStartReservation {
  /** The job started: it counts as in flight until `done` settles. */
  bind(done: Promise<unknown>): void;
  /** The request was refused: it counts for nothing. */
  cancel(): void;
}

interface ClientRecord {
  /** Start times within the last minute. */
  starts: number[];
  inFlight: number;
}

/**
 * Per-client limits on the jobs started through the API (runs and re-classifications cost the operator
 * money): at most `inFlight` at once and `perMinute` per minute for each client address. A client over a
 * limit gets 429 with `retry-after`.
 */
export class JobStartLimiter {
  readonly #limits: JobStartLimits;
  readonly #now: () => number;
  readonly #clients = new Map<string, ClientRecord>();

  constructor(limits: Partial<JobStartLimits> = {}, now: () => number = Date.now) {
    this.#limits = { ...defaultJobStartLimits, ...limits };
    this.#now = now;
  }

  /**
   * Hold a start for `client`, or throw TOO_MANY_REQUESTS. Held at once, so two requests checked at the
   * same time cannot both take the last slot.
   */
  reserve(client: string): JobStartReservation {
    const now = this.#now();
    this.#forgetIdle(now);
    const record = this.#clients.get(client) ?? { starts: [], inFlight: 0 };
    record.starts = record.starts.filter((time) => time > now - minuteMs);
    this.#clients.set(client, record);
    if (record.inFlight >= this.#limits.inFlight) {
      throw new ApiError(
        "TOO_MANY_REQUESTS",
        `this client already has ${record.inFlight} run(s) or re-classification(s) in flight (at most ${this.#limits.inFlight}); start more once one has finished`,
        { "retry-after": String(inFlightRetrySeconds) },
      );
    }
    if (record.starts.length >= this.#limits.perMinute) {
      const oldest = record.starts[0] ?? now;
      const waitSeconds = Math.max(1, Math.ceil((oldest + minuteMs - now) / 1000));
      throw new ApiError(
        "TOO_MANY_REQUESTS",
        `this client started ${record.starts.length} run(s) or re-classification(s) in the last minute (at most ${this.#limits.perMinute})`,
        { "retry-after": String(waitSeconds) },
      );
    }
    const startedAt = now;
    record.starts.push(startedAt);
    record.inFlight++;
    let settled = false;
    const release = () => {
      if (settled) return;
      settled = true;
      record.inFlight--;
    };
    return {
      bind: (done) => {
        void done.finally(release);
      },
      cancel: () => {
        if (settled) return;
        release();
        const index = record.starts.indexOf(startedAt);
        if (index >= 0) record.starts.splice(index, 1);
      },
    };
  }

  /** Clients with nothing in flight and no start in the last minute are forgotten, so the map stays small. */
  #forgetIdle(now: number): void {
    for (const [client, record] of this.#clients) {
      if (record.inFlight === 0 && record.starts.every((time) => time <= now - minuteMs)) {
        this.#clients.delete(client);
      }
    }
  }
}

/**
 * Who is asking: the peer address when served over a socket, else one shared name (in-process requests
 * in tests). Behind a reverse proxy every client shares the proxy's address, and so its limits.
 */
export function clientOf(context: Context<ApiEnv>): string {
  try {
    return getConnInfo(context).remote.address ?? "unknown";
  } catch {
    return "local";
  }
}
