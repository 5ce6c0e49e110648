import type { GenerateRequest, GenerateResult, ModelClient } from "@aflab/clients";

export interface ScriptedModelClient extends ModelClient {
  /** Every request received, in order. */
  readonly requests: GenerateRequest[];
  /** Number of generate() calls (a call with n completions counts once). */
  readonly calls: number;
}

/**
 * A ModelClient whose answers come from `respond`, called once per completion (so `n` completions make
 * `n` calls with completion indexes 0..n-1). `respond` may throw to simulate a provider error. Each call
 * reports `costUsd` (default 0.001) and token counts derived from the text lengths.
 */
export function createScriptedModelClient(options: {
  id?: string;
  respond: (request: GenerateRequest, completion: number) => string;
  costUsd?: number | null;
}): ScriptedModelClient {
  const requests: GenerateRequest[] = [];
  const id = options.id ?? "scripted/test-model";
  return {
    id,
    provider: id.split("/")[0] ?? "scripted",
    simulated: true,
    supportsPrefill: false,
    requests,
    get calls() {
      return requests.length;
    },
    async generate(request: GenerateRequest): Promise<GenerateResult> {
      requests.push(request);
      const texts = Array.from({ length: request.n ?? 1 }, (_, completion) =>
        options.respond(request, completion),
      );
      const prompt = request.messages.map((message) => message.content).join("");
      return {
        texts,
        stopReason: "end_turn",
        usage: {
          inputTokens: Math.ceil((request.system.length + prompt.length) / 4),
          outputTokens: Math.ceil(texts.join("").length / 4),
          cacheWriteTokens: 0,
          cacheReadTokens: 0,
        },
        costUsd: options.costUsd === undefined ? 0.001 : options.costUsd,
        model: id,
        cached: false,
        retries: 0,
        latencyMs: 0,
      };
    },
  };
}
