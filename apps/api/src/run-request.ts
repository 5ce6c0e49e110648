import {
  InputError,
  modelIdSchema,
  parseOrThrow,
  type RunConfig,
  runConfigFieldsSchema,
  runConfigSchema,
  scrubSecrets,
} from "@aflab/core";
import { z } from "zod";

/**
 * What a run started over HTTP may do. A request is untrusted input: it may only pick among what the
 * server's operator configured, never name a file on the server or a new host to send the operator's
 * keys to.
 */
export interface RunRequestPolicy {
  /** Base URLs a request's `baseUrl` may name (`aflab serve --allow-base-url`), compared normalised. */
  allowedBaseUrls: readonly string[];
}

/**
 * Request fields that would make the server read one of its files. Refused by name so the message says
 * why; any other field whose name says it holds a path is refused the same way (see `pathLikeField`).
 */
const fileFields: Record<string, string> = {
  promptFile:
    "promptFile: files on the server are not read over HTTP; start runs with a prompt file from the CLI",
  promptVariables:
    "promptVariables: prompt variables fill the fields of a prompt file, and prompt files are not read over HTTP; start such runs from the CLI",
  promptRoot:
    "promptRoot: files on the server are not read over HTTP; start runs with a prompt root from the CLI",
  userTemplate:
    "userTemplate: files on the server are not read over HTTP; start runs with a user-turn template from the CLI",
  userTemplateHash:
    "userTemplateHash: recorded by the server from a user-turn template, which is not read over HTTP; start such runs from the CLI",
};

/** Names that hold a file or directory: `includeRoot`, `userTemplatePath`, `labelsFile`, ... */
const pathLikeField = /(?:file|path|dir|directory|root|template)s?$/i;

/** Datasets a request may name: the built-in ones, and AdvBench (fetched from its fixed public address). */
const datasetsOverHttp = new Set(["builtin:harmful", "builtin:animal-welfare", "advbench"]);

/**
 * The fields a run request may set: a run config without the ones that read server files. Strict, so a
 * field this server does not know (a typo, or an option added later that reads files) is refused by name
 * instead of silently dropped or silently honoured.
 */
export const runRequestSchema = runConfigFieldsSchema
  .omit({
    promptFile: true,
    promptVariables: true,
    promptRoot: true,
    userTemplate: true,
    userTemplateHash: true,
  })
  .extend({
    dataset: z
      .strictObject({
        source: z.string().min(1, "expected a dataset name"),
        column: z.string().min(1).optional(),
        limit: z.number().int().positive("expected a positive whole number").optional(),
      })
      .default({ source: "builtin:harmful" }),
  })
  .strict();

/** A base URL as compared against the allowed ones: scheme and host case, default ports, trailing slashes aside. */
export function normaliseBaseUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    if (url.username || url.password) return undefined;
    return url.href.replace(/\/+$/, "");
  } catch {
    return undefined;
  }
}

/**
 * Check the operator's allowed base URLs at start-up: each an http(s) URL without credentials.
 * @throws InputError naming the bad entry
 */
export function checkAllowedBaseUrls(urls: readonly string[]): string[] {
  return urls.map((url) => {
    const normalised = normaliseBaseUrl(url);
    if (!normalised) {
      throw new InputError(
        `--allow-base-url: "${scrubSecrets(url)}" is not an http(s) URL without credentials, e.g. http://127.0.0.1:8000/v1`,
        { field: "allow-base-url" },
      );
    }
    return normalised;
  });
}

/**
 * Parse a `POST /api/runs` body under the policy. The clients then bind each key to its provider's own
 * base URL, so a request can neither read a server file nor send a key anywhere the operator did not name.
 * @throws InputError naming the field
 */
export function parseRunRequest(body: unknown, policy: RunRequestPolicy): RunConfig {
  if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    for (const field of Object.keys(body)) {
      const fileMessage = fileFields[field];
      if (fileMessage) throw new InputError(fileMessage, { field });
      if (pathLikeField.test(field)) {
        throw new InputError(
          `${field}: files and directories on the server are not named over HTTP; start such runs from the CLI`,
          { field },
        );
      }
    }
  }
  const request = parseOrThrow(runRequestSchema, body, "run config");
  if (!datasetsOverHttp.has(request.dataset.source)) {
    throw new InputError(
      "dataset.source: expected builtin:harmful, builtin:animal-welfare or advbench over HTTP (a path would read a file on the server); start runs on local files from the CLI",
      { field: "dataset.source" },
    );
  }
  if (request.baseUrl !== undefined) {
    const normalised = normaliseBaseUrl(request.baseUrl);
    if (!normalised || !policy.allowedBaseUrls.includes(normalised)) {
      throw new InputError(
        policy.allowedBaseUrls.length === 0
          ? "baseUrl: this server names no base URLs a request may use (its operator passes them with aflab serve --allow-base-url); leave baseUrl out to use the providers it configured"
          : `baseUrl: expected one of the base URLs this server allows (${policy.allowedBaseUrls.join(", ")}); leave it out to use the providers it configured`,
        { field: "baseUrl" },
      );
    }
  }
  return parseOrThrow(runConfigSchema, request, "run config");
}

/** The body of `POST /api/runs/:id/classify`. */
export const classifyRequestSchema = z.strictObject({
  classifiers: z.array(z.string().min(1, "expected a classifier name")).optional(),
  judge: modelIdSchema.optional(),
  force: z.boolean().optional(),
  /** Let the simulated judge classify a real model's samples (refused otherwise). */
  allowSimulatedJudge: z.boolean().optional(),
});
