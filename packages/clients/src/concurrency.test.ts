import { describe, expect, it } from "vitest";
import { createConcurrencyLimiter } from "./concurrency.js";

const pause = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe("createConcurrencyLimiter", () => {
  it("never runs more than the limit at once and starts waiters in FIFO order", async () => {
    const limiter = createConcurrencyLimiter(3);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        limiter.run(async () => {
          started.push(index);
          running += 1;
          peak = Math.max(peak, running);
          await pause(5);
          running -= 1;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(started).toEqual(Array.from({ length: 12 }, (_, index) => index));
    expect(limiter.active).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  it("releases the slot when a task throws", async () => {
    const limiter = createConcurrencyLimiter(1);
    await expect(limiter.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(limiter.run(async () => "next")).resolves.toBe("next");
  });

  it("drops a waiter whose signal aborts, without running it or losing the slot", async () => {
    const limiter = createConcurrencyLimiter(1);
    let releaseHolder: () => void = () => {};
    const holder = limiter.run(() => new Promise<void>((resolve) => (releaseHolder = resolve)));
    const controller = new AbortController();
    let ranAborted = false;
    const aborted = limiter.run(async () => {
      ranAborted = true;
    }, controller.signal);
    const order: string[] = [];
    const after = limiter.run(async () => {
      order.push("after");
    });
    expect(limiter.waiting).toBe(2);
    controller.abort();
    // The waiter rejects at once, while the slot is still held.
    await expect(aborted).rejects.toMatchObject({ code: "aborted" });
    expect(limiter.waiting).toBe(1);
    releaseHolder();
    await holder;
    await after;
    expect(order).toEqual(["after"]);
    expect(ranAborted).toBe(false);
    expect(limiter.active).toBe(0);
    // A signal that is already aborted never queues.
    await expect(limiter.run(async () => 1, AbortSignal.abort())).rejects.toMatchObject({ code: "aborted" });
    expect(limiter.active).toBe(0);
    expect(limiter.waiting).toBe(0);
  });

  it("reports waiting tasks", async () => {
    const limiter = createConcurrencyLimiter(1);
    const first = limiter.run(() => pause(20));
    const second = limiter.run(() => pause(1));
    expect(limiter.active).toBe(1);
    expect(limiter.waiting).toBe(1);
    await Promise.all([first, second]);
  });

  it("accepts Infinity and rejects nonsense", async () => {
    const unlimited = createConcurrencyLimiter(Number.POSITIVE_INFINITY);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 50 }, () =>
        unlimited.run(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await pause(2);
          running -= 1;
        }),
      ),
    );
    expect(peak).toBe(50);
    expect(() => createConcurrencyLimiter(0)).toThrow(RangeError);
    expect(() => createConcurrencyLimiter(1.5)).toThrow(RangeError);
  });
});
