import type {
  ApiErrorBody,
  CompareResult,
  ItemDetail,
  ParaphraseDistribution,
  ProbeCurve,
  RunDetail,
  RunLabels,
  RunList,
  SampleDetail,
  SampleLabels,
  SamplePage,
  SweepList,
  SweepMatrix,
  WorkersReport,
} from "./api-types.js";

/** An error answer from the API, with its code and message. */
export class ApiRequestError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = "ApiRequestError";
    this.code = body.code;
    this.status = status;
  }
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, { headers: { accept: "application/json" }, signal });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error: ApiErrorBody =
      body && typeof body === "object" && "code" in body && "message" in body
        ? (body as ApiErrorBody)
        : { code: "INTERNAL", message: `the server answered ${response.status}` };
    throw new ApiRequestError(response.status, error);
  }
  return body as T;
}

function withQuery(path: string, params: URLSearchParams): string {
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

/** Where one sample's human labels live (GET, PUT; DELETE with `/<labeller>`). */
export function labelsPath(id: string, key: string): string {
  return `/api/runs/${encodeURIComponent(id)}/samples/${encodeURIComponent(key)}/labels`;
}

/** The API calls the viewer makes. Filters travel as URL search parameters, exactly as the API reads them. */
export const api = {
  runs: (params: URLSearchParams, signal?: AbortSignal) =>
    getJson<RunList>(withQuery("/api/runs", params), signal),
  run: (id: string, signal?: AbortSignal) =>
    getJson<RunDetail>(`/api/runs/${encodeURIComponent(id)}`, signal),
  samples: (id: string, params: URLSearchParams, signal?: AbortSignal) =>
    getJson<SamplePage>(withQuery(`/api/runs/${encodeURIComponent(id)}/samples`, params), signal),
  sample: (id: string, key: string, params: URLSearchParams, signal?: AbortSignal) =>
    getJson<SampleDetail>(
      withQuery(`/api/runs/${encodeURIComponent(id)}/samples/${encodeURIComponent(key)}`, params),
      signal,
    ),
  item: (id: string, itemId: string, signal?: AbortSignal) =>
    getJson<ItemDetail>(`/api/runs/${encodeURIComponent(id)}/items/${encodeURIComponent(itemId)}`, signal),
  compare: (a: string, b: string, signal?: AbortSignal) =>
    getJson<CompareResult>(withQuery("/api/compare", new URLSearchParams({ a, b })), signal),
  sampleLabels: (id: string, key: string, signal?: AbortSignal) =>
    getJson<SampleLabels>(`${labelsPath(id, key)}`, signal),
  runLabels: (id: string, signal?: AbortSignal) =>
    getJson<RunLabels>(`/api/runs/${encodeURIComponent(id)}/labels`, signal),
  sweeps: (signal?: AbortSignal) => getJson<SweepList>("/api/sweeps", signal),
  sweep: (id: string, signal?: AbortSignal) =>
    getJson<SweepMatrix>(`/api/sweeps/${encodeURIComponent(id)}`, signal),
  sweepDistribution: (id: string, signal?: AbortSignal) =>
    getJson<ParaphraseDistribution>(`/api/sweeps/${encodeURIComponent(id)}/distribution`, signal),
  sweepCurve: (id: string, signal?: AbortSignal) =>
    getJson<ProbeCurve>(`/api/sweeps/${encodeURIComponent(id)}/curve`, signal),
  eventsUrl: (id: string) => `/api/runs/${encodeURIComponent(id)}/events`,
  runWorkers: (id: string, signal?: AbortSignal) =>
    getJson<WorkersReport>(`/api/runs/${encodeURIComponent(id)}/workers`, signal),
};
