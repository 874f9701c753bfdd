/**
 * The HTTP API, typed from the served OpenAPI document (gen/api.d.ts):
 * a renamed field or route breaks `tsc`, not a user. Calls carry the
 * signed-in user's token; refusals become {@link ApiProblem}s.
 */
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "@gen/api";
import { type Role, tokenFor } from "./session";

export type Schemas = components["schemas"];

export const api = createClient<paths>({ baseUrl: location.origin });

/** Calls carry the signed-in account's viewer token unless they name another (see {@link as}). */
const bearer: Middleware = {
  async onRequest({ request }) {
    if (request.headers.has("Authorization")) return request;
    const token = await tokenFor("viewer");
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
};
api.use(bearer);

/** The `Authorization` header acting as `role` (empty when the account does not hold it). */
export async function as(role: Role): Promise<Record<string, string>> {
  const token = await tokenFor(role);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** A refusal the API answered with `{"error":{"code","message"}}`. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** From `Retry-After`, when the answer had one. */
    readonly retryAfterS: number | null,
  ) {
    super(message);
  }
}

/** What to tell the user of a failed call: the API's own message, or the error as it stands. */
export function problemText(error: unknown): string {
  return error instanceof ApiProblem ? error.message : String(error);
}

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The answer's body, or throws the refusal as an {@link ApiProblem}. */
export function ok<T>(answer: Answer<T>): T {
  if (answer.data !== undefined && answer.response.ok) return answer.data;
  const body = answer.error as { error?: { code?: string; message?: string } } | undefined;
  const retry = answer.response.headers.get("Retry-After");
  throw new ApiProblem(
    answer.response.status,
    body?.error?.code ?? `http_${answer.response.status}`,
    body?.error?.message ?? answer.response.statusText,
    retry === null ? null : Number(retry),
  );
}

/** A fresh `Idempotency-Key` for one user action (a retry of it reuses the key). */
export function actionKey(): { "Idempotency-Key": string } {
  return { "Idempotency-Key": crypto.randomUUID() };
}
