import { AflabError, InputError, ProviderError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import {
  backoffDelayMs,
  defaultRetryPolicy,
  parseDurationMs,
  RetriesExhaustedError,
  type RetryEvent,
  retryDelayFromHeaders,
  withRetries,
} from "./retry.js";

describe("parseDurationMs", () => {
  it("reads OpenAI reset durations", () => {
    expect(parseDurationMs("20ms")).toBe(20);
    expect(parseDurationMs("1s")).toBe(1000);
    expect(parseDurationMs("6m0s")).toBe(360_000);
    expect(parseDurationMs("1h2m3.5s")).toBe(3_600_000 + 120_000 + 3500);
    expect(parseDurationMs("0.5s")).toBe(500);
  });
  it("refuses anything else", () => {
    expect(parseDurationMs("soon")).toBeUndefined();
    expect(parseDurationMs("10")).toBeUndefined();
    expect(parseDurationMs("")).toBeUndefined();
  });
});

describe("retryDelayFromHeaders", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it("prefers retry-after-ms, then retry-after seconds or HTTP date", () => {
    expect(retryDelayFromHeaders({ "retry-after-ms": "250", "retry-after": "9" }, now)).toBe(250);
    expect(retryDelayFromHeaders({ "Retry-After": "2" }, now)).toBe(2000);
    expect(retryDelayFromHeaders({ "retry-after": "0.2" }, now)).toBe(200);
    expect(retryDelayFromHeaders({ "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }, now)).toBe(3000);
  });
  it("waits for the exhausted Anthropic limit's RFC 3339 reset", () => {
    const headers = {
      "anthropic-ratelimit-requests-remaining": "0",
      "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:04Z",
      "anthropic-ratelimit-tokens-remaining": "5000",
      "anthropic-ratelimit-tokens-reset": "2026-01-01T00:00:30Z",
    };
    expect(retryDelayFromHeaders(headers, now)).toBe(4000);
  });
  it("waits for the exhausted OpenAI limit's duration, or the earliest reset when none is exhausted", () => {
    expect(
      retryDelayFromHeaders(
        {
          "x-ratelimit-remaining-requests": "10",
          "x-ratelimit-reset-requests": "1s",
          "x-ratelimit-remaining-tokens": "0",
          "x-ratelimit-reset-tokens": "6m0s",
        },
        now,
      ),
    ).toBe(360_000);
    expect(
      retryDelayFromHeaders({ "x-ratelimit-reset-requests": "1s", "x-ratelimit-reset-tokens": "20ms" }, now),
    ).toBe(20);
  });
  it("is undefined without usable headers", () => {
    expect(retryDelayFromHeaders({ "content-type": "application/json" }, now)).toBeUndefined();
    expect(retryDelayFromHeaders({ "retry-after": "whenever" }, now)).toBeUndefined();
  });
});

describe("backoffDelayMs", () => {
  it("draws from [0, min(max, base × 2^k)]", () => {
    const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelayMs(policy, 0, () => 0.999)).toBeCloseTo(99.9);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(400);
    expect(backoffDelayMs(policy, 10, () => 1)).toBe(1000);
    expect(backoffDelayMs(policy, 2, () => 0)).toBe(0);
  });
});

const retryable = (status: number, retryAfterMs?: number) =>
  new ProviderError(`status ${status}`, { provider: "test", status, isRetryable: true, retryAfterMs });

describe("withRetries", () => {
  const base = {
    modelId: "test/model",
    policy: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 5, maxTotalMs: 10_000 },
    classify: (error: unknown) => error as ProviderError,
    describeExhausted: (last: ProviderError, attempts: number) =>
      `gave up after ${attempts}: ${last.message}`,
  };

  it("retries retryable errors and reports each retry", async () => {
    const events: RetryEvent[] = [];
    let calls = 0;
    const outcome = await withRetries(
      async () => {
        calls += 1;
        if (calls < 3) throw retryable(500);
        return "done";
      },
      { ...base, onRetry: (event) => events.push(event) },
    );
    expect(outcome).toEqual({ value: "done", retries: 2 });
    expect(events.map((event) => [event.attempt, event.status])).toEqual([
      [1, 500],
      [2, 500],
    ]);
  });

  it("throws a non-retryable error at once", async () => {
    let calls = 0;
    const failure = new ProviderError("nope", { provider: "test", status: 400, isRetryable: false });
    await expect(
      withRetries(async () => {
        calls += 1;
        throw failure;
      }, base),
    ).rejects.toBe(failure);
    expect(calls).toBe(1);
    await expect(
      withRetries(async () => {
        throw new InputError("bad");
      }, base),
    ).rejects.toBeInstanceOf(InputError);
  });

  it("stops at maxAttempts with the attempt count and the last error", async () => {
    let calls = 0;
    const error = await withRetries(async () => {
      calls += 1;
      throw retryable(529);
    }, base).catch((caught: unknown) => caught);
    expect(calls).toBe(5);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as RetriesExhaustedError).attempts).toBe(5);
    expect((error as RetriesExhaustedError).code).toBe("provider_unavailable");
    expect((error as RetriesExhaustedError).message).toBe("gave up after 5: status 529");
  });

  it("gives up rather than wait past the total time budget", async () => {
    let calls = 0;
    const started = Date.now();
    const error = await withRetries(
      async () => {
        calls += 1;
        throw retryable(429, 60_000);
      },
      { ...base, policy: { ...base.policy, maxTotalMs: 1000 } },
    ).catch((caught: unknown) => caught);
    expect(calls).toBe(1);
    expect(Date.now() - started).toBeLessThan(500);
    expect(error).toBeInstanceOf(RetriesExhaustedError);
  });

  it("stops waiting when aborted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const error = await withRetries(
      async () => {
        throw retryable(429, 5000);
      },
      { ...base, signal: controller.signal },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AflabError);
    expect((error as AflabError).code).toBe("aborted");
  });
});
