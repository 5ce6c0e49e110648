import { RetriesExhaustedError } from "@aflab/clients";
import { ProviderError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { CircuitBreaker, isOutageError, outageReason } from "./circuit-breaker.js";

function overloaded(): ProviderError & { reason: string } {
  const error = new ProviderError("claude: the provider is overloaded (529): Overloaded", {
    provider: "anthropic",
    status: 529,
    isRetryable: true,
  }) as ProviderError & { reason: string };
  error.reason = "overloaded (529)";
  return error;
}

describe("the circuit breaker's reason", () => {
  it("names the last outage the same way whether it came from a retry or from a request that gave up", async () => {
    const gaveUp = new RetriesExhaustedError("claude: gave up after 8 attempts in 0.1 s; last error: …", {
      attempts: 8,
      lastError: overloaded(),
    });
    expect(isOutageError(gaveUp)).toBe(true);
    expect(outageReason(gaveUp)).toBe("overloaded (529)");
    expect(outageReason(new ProviderError("gone", { provider: "openai", isRetryable: true }))).toBe("error");

    // The breaker's message once the last count was a request that gave up (what a run sees when its
    // last lane's retries run out just before the bound): the short reason, not the whole error.
    let message = "";
    const breaker = new CircuitBreaker({ threshold: 2, giveUpAfterMs: 20 }, (text) => {
      message = text;
    });
    breaker.onRetry({ status: 529, reason: "overloaded (529)" } as Parameters<typeof breaker.onRetry>[0]);
    breaker.recordOutage(outageReason(gaveUp));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(breaker.gaveUp).toBe(true);
    expect(message).toBe(
      "the provider did not answer for 0 s after 2 unreachable or overloaded answers in a row (last: overloaded (529))",
    );
  });
});
