import { describe, expect, it } from "vitest";
import {
  containsSecret,
  redactSecrets,
  redactSecretsDeep,
  scrubDeep,
  scrubSecrets,
  secretsFromEnvironment,
} from "./secrets.js";

describe("scrubSecrets", () => {
  it("redacts provider keys, bearer credentials and key assignments", () => {
    const text =
      "a sk-ant-api03-0123456789abcdefABCDEF b Bearer abcdefghijklmnop.qrs c api_key=ZYXWVUTSRQPONMLKJIH d hf_abcdefghijklmnopqrstu";
    const scrubbed = scrubSecrets(text);
    expect(scrubbed).toBe("a [redacted] b [redacted] c api_key=[redacted] d [redacted]");
  });

  it("leaves ordinary prose alone", () => {
    const text = "The user asked about risk-taking and sk- prefixes; a token of thanks.";
    expect(scrubSecrets(text)).toBe(text);
  });

  it("redacts the password of credentials written into a URL", () => {
    expect(scrubSecrets("base https://alice:s3cret-pass@proxy.local/v1 and ftp://bob:pw@h/")).toBe(
      "base https://alice:[redacted]@proxy.local/v1 and ftp://bob:[redacted]@h/",
    );
    expect(scrubSecrets("mail alice@proxy.local or see https://proxy.local:8443/v1")).toBe(
      "mail alice@proxy.local or see https://proxy.local:8443/v1",
    );
  });

  it("redacts known secret values wherever they appear", () => {
    expect(scrubSecrets("xx plainsecret99 yy", ["plainsecret99"])).toBe("xx [redacted] yy");
  });
});

describe("secretsFromEnvironment", () => {
  it("collects long values of key, token, secret and password variables only", () => {
    expect(
      secretsFromEnvironment({
        ANTHROPIC_API_KEY: "abcdefgh12",
        AFLAB_API_TOKEN: "tok-123456",
        DB_PASSWORD: "hunter2hunter2",
        SHORT_TOKEN: "abc",
        HOME: "/home/someone",
      }),
    ).toEqual(["abcdefgh12", "tok-123456", "hunter2hunter2"]);
  });
});

describe("scrubDeep", () => {
  it("scrubs strings nested in objects and arrays and keeps other values", () => {
    expect(scrubDeep({ a: ["sk-0123456789abcdefghij", 3], b: { c: null, d: true } })).toEqual({
      a: ["[redacted]", 3],
      b: { c: null, d: true },
    });
  });
});

describe("redactSecrets", () => {
  it("counts every replacement: provider keys of each shape and exact known values", () => {
    const known = "plain-known-value-7";
    const text = [
      "anthropic sk-ant-api03-AAAAAAAAAAAAAAAAAAAA",
      "openai sk-proj-BBBBBBBBBBBBBBBBBBBBBBBB",
      "legacy sk-CCCCCCCCCCCCCCCCCCCCCCCC",
      `twice ${known} and ${known}`,
    ].join("\n");
    const redacted = redactSecrets(text, [known]);
    expect(redacted.count).toBe(5);
    expect(redacted.value).toBe(
      "anthropic [redacted]\nopenai [redacted]\nlegacy [redacted]\ntwice [redacted] and [redacted]",
    );
    expect(containsSecret(redacted.value, [known])).toBe(false);
    expect(containsSecret(text)).toBe(true);
  });

  it("counts nothing in ordinary prose", () => {
    expect(redactSecrets("a sketch of sk- prefixes and a token of thanks")).toEqual({
      value: "a sketch of sk- prefixes and a token of thanks",
      count: 0,
    });
  });
});

describe("redactSecretsDeep", () => {
  it("redacts nested strings and sums the counts", () => {
    const value = { turns: [{ content: "sk-ant-DDDDDDDDDDDDDDDDDDDD" }, { content: "fine" }], n: 2 };
    expect(redactSecretsDeep(value)).toEqual({
      value: { turns: [{ content: "[redacted]" }, { content: "fine" }], n: 2 },
      count: 1,
    });
  });
});
