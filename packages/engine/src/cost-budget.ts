import type { GenerateRequest, ModelClient } from "@aflab/clients";
import { AflabError, InputError, type ModelPrice } from "@aflab/core";
import type { Store } from "@aflab/store";
import { charactersPerToken, estimateErrorBound } from "./estimate-run.js";
import type { PreparedRun } from "./prepare-run.js";

/** A request the budget did not let out: the run stops issuing requests (it is no provider failure). */
export class BudgetExhaustedError extends AflabError {
  constructor(message: string) {
    super("aborted", message);
    this.name = "BudgetExhaustedError";
  }
}

const formatUsd = (value: number) => `$${value.toFixed(value < 1 ? 4 : 2)}`;

/**
 * A run's spending limit. Every request reserves its worst case before it goes out (its input at the
 * input price, counted as characters / 4 plus the estimate's error bound, and `maxTokens` per completion
 * at the output price) and settles at its real cost when it returns. A request whose worst case would take
 * spend plus what is in flight past the limit is not sent, and from then on no request is: so the run
 * never spends more than the limit, and stops within about one request's worth of it.
 */
export class CostBudget {
  private spent: number;
  private reserved = 0;
  private stoppedWith: string | null = null;

  constructor(
    readonly limitUsd: number,
    /** What the run had spent before this invocation (a resumed run keeps its spend). */
    spentBefore: number,
    private readonly onExhausted: (message: string) => void,
  ) {
    this.spent = spentBefore;
  }

  get spentUsd(): number {
    return this.spent;
  }

  /** True once a request was refused: the run issues no more. */
  get exhausted(): boolean {
    return this.stoppedWith !== null;
  }

  /** Reserves `worstCase` USD or throws `BudgetExhaustedError` (and stops the run) when it does not fit. */
  reserve(worstCase: number): void {
    if (this.stoppedWith !== null) throw new BudgetExhaustedError(this.stoppedWith);
    if (this.spent + this.reserved + worstCase > this.limitUsd) {
      this.stoppedWith =
        `budget: ${formatUsd(this.spent)} of the ${formatUsd(this.limitUsd)} budget spent` +
        `${this.reserved > 0 ? ` and up to ${formatUsd(this.reserved)} in flight` : ""}; ` +
        `the next request could cost up to ${formatUsd(worstCase)}; resume with a higher --max-cost`;
      this.onExhausted(this.stoppedWith);
      throw new BudgetExhaustedError(this.stoppedWith);
    }
    this.reserved += worstCase;
  }

  /** Frees a reservation and books what the request really cost (its worst case when that is not known). */
  settle(worstCase: number, actual: number | null): void {
    this.reserved = Math.max(0, this.reserved - worstCase);
    this.spent += actual ?? worstCase;
  }
}

/** The most one request can cost: input at the input price (no cache discount), every completion at max tokens. */
export function worstCaseCost(request: GenerateRequest, price: ModelPrice): number {
  const characters =
    request.system.length +
    request.messages.reduce((sum, message) => sum + message.content.length, 0) +
    (request.prefill?.length ?? 0);
  const inputTokens = Math.ceil((characters / charactersPerToken) * (1 + estimateErrorBound));
  const completions = request.n ?? 1;
  return (
    (inputTokens * completions * (price.input ?? 0) + request.maxTokens * completions * (price.output ?? 0)) /
    1e6
  );
}

/** The price a budget needs (input and output known), or an InputError naming the model. */
export function budgetPrice(client: ModelClient): ModelPrice {
  const price = client.price;
  if (price === undefined || price === null || price.input === null || price.output === null)
    throw new InputError(
      `maxCostUsd (--max-cost): the price of ${client.id} is not known, so its spend cannot be budgeted; give it with --pricing FILE`,
      { field: "maxCostUsd" },
    );
  return price;
}

/**
 * The client with every request going through the budget. A price that is not known cannot be budgeted:
 * that is refused up front, before anything is spent.
 */
export function budgetedClient(client: ModelClient, budget: CostBudget): ModelClient {
  const price = budgetPrice(client);
  return {
    id: client.id,
    provider: client.provider,
    simulated: client.simulated,
    supportsPrefill: client.supportsPrefill,
    ...(client.nativeReasoning === undefined ? {} : { nativeReasoning: client.nativeReasoning }),
    ...(client.supportsN === undefined ? {} : { supportsN: client.supportsN }),
    price,
    ...(client.countTokens ? { countTokens: client.countTokens.bind(client) } : {}),
    async generate(request) {
      const worstCase = worstCaseCost(request, price);
      budget.reserve(worstCase);
      let result: Awaited<ReturnType<ModelClient["generate"]>>;
      try {
        result = await client.generate(request);
      } catch (error) {
        // The providers bill no request that ended in an error.
        budget.settle(worstCase, 0);
        throw error;
      }
      budget.settle(worstCase, result.costUsd);
      return result;
    },
  };
}

/**
 * The run's budget, when its config sets `maxCostUsd`, with the model and judge going through it. A
 * resumed run starts from what it has spent so far (its samples' and verdicts' stored costs).
 */
export async function withRunBudget(
  store: Store,
  runId: string,
  prepared: PreparedRun,
  onExhausted: (message: string) => void,
): Promise<PreparedRun> {
  const limit = prepared.config.maxCostUsd;
  if (limit === undefined) return prepared;
  const usage = await store.runUsage(runId);
  if (usage.costUsd === null || usage.judgeCostUsd === null)
    throw new InputError(
      `--max-cost: run ${runId} has samples or verdicts of unknown cost, so its spend cannot be budgeted`,
      { field: "maxCostUsd" },
    );
  const budget = new CostBudget(limit, usage.costUsd + usage.judgeCostUsd, onExhausted);
  return {
    ...prepared,
    model: budgetedClient(prepared.model, budget),
    judge: prepared.judge ? budgetedClient(prepared.judge, budget) : undefined,
    budget,
  };
}
