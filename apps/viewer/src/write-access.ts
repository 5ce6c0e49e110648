import { useSyncExternalStore } from "react";
import { ApiRequestError } from "./api-client.js";
import type { ApiErrorBody } from "./api-types.js";

/**
 * The API's write token, as the reader typed it. Kept in this tab's session storage only: it unlocks
 * writes, so it neither outlives the tab nor reaches other tabs or the URL.
 */
const tokenKey = "aflab.writeToken";
/** The labeller name is not a secret: remembered across visits so a reader types it once. */
const labellerKey = "aflab.labeller";

const listeners = new Set<() => void>();
function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
function changed(): void {
  for (const listener of listeners) listener();
}

function read(storage: () => Storage, key: string): string {
  try {
    return storage().getItem(key) ?? "";
  } catch {
    return "";
  }
}
function write(storage: () => Storage, key: string, value: string): void {
  try {
    if (value) storage().setItem(key, value);
    else storage().removeItem(key);
  } catch {
    // Storage can be disabled; the value then lasts until the page reloads at most.
  }
  changed();
}

export const writeToken = {
  get: () => read(() => sessionStorage, tokenKey),
  set: (token: string) => write(() => sessionStorage, tokenKey, token.trim()),
};
export const labellerName = {
  get: () => read(() => localStorage, labellerKey),
  set: (name: string) => write(() => localStorage, labellerKey, name),
};

export function useWriteToken(): string {
  return useSyncExternalStore(subscribe, writeToken.get, () => "");
}
export function useLabellerName(): string {
  return useSyncExternalStore(subscribe, labellerName.get, () => "");
}

/** A write to the API with the token; errors come back as `ApiRequestError` with the API's message. */
export async function sendJson<T>(
  method: "PUT" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<T> {
  const token = writeToken.get();
  const response = await fetch(path, {
    method,
    headers: {
      accept: "application/json",
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const parsed: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const error: ApiErrorBody =
      parsed && typeof parsed === "object" && "code" in parsed && "message" in parsed
        ? (parsed as ApiErrorBody)
        : { code: "INTERNAL", message: `the server answered ${response.status}` };
    throw new ApiRequestError(response.status, error);
  }
  return parsed as T;
}
