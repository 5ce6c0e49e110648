import { describe, expect, it } from "vitest";
import { matchRoute, paths } from "./router.js";

describe("matchRoute", () => {
  it("reads every page from its path", () => {
    expect(matchRoute("/")).toEqual({ page: "runs" });
    expect(matchRoute("/compare")).toEqual({ page: "compare" });
    expect(matchRoute("/runs/run%201")).toEqual({ page: "run", runId: "run 1" });
    expect(matchRoute("/runs/r/samples/k%2Fx")).toEqual({ page: "sample", runId: "r", key: "k/x" });
    expect(matchRoute("/runs/r/other")).toEqual({ page: "not-found", path: "/runs/r/other" });
  });

  it("round-trips the paths it builds", () => {
    const search = new URLSearchParams({ tier: "free", q: "a b" });
    const href = paths.sample("run/1", "key 2", search);
    expect(href).toBe("/runs/run%2F1/samples/key%202?tier=free&q=a+b");
    expect(matchRoute(new URL(href, "http://x").pathname)).toEqual({
      page: "sample",
      runId: "run/1",
      key: "key 2",
    });
    expect(paths.compare("a", "b")).toBe("/compare?a=a&b=b");
    expect(paths.many(["a", "b c"], "a")).toBe("/compare/many?runs=a%2Cb+c&baseline=a");
    expect(matchRoute("/compare/many")).toEqual({ page: "many" });
    expect(matchRoute(paths.item("run 1", "item/7"))).toEqual({
      page: "item",
      runId: "run 1",
      itemId: "item/7",
    });
  });
});
