/**
 * A BotBeat client: openapi-fetch over the types openapi-typescript generates from the schema
 * (src/schema.d.ts, written by check.sh, never committed), so that every path, parameter and
 * body below is checked against the API as served.
 */
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema.js";

export type Schemas = components["schemas"];
export type BotBeat = ReturnType<typeof createClient<paths>>;

/** A client of the API at `baseUrl` (e.g. `https://botbeat.example`), anonymous or signed in. */
export function botbeat(baseUrl: string, token?: string): BotBeat {
  const client = createClient<paths>({ baseUrl });
  if (token !== undefined) {
    client.use(bearer(token));
  }
  return client;
}

/** Signs every request with a token from POST /api/v1/auth/token/ (API.md: `Authorization: Bearer`). */
function bearer(token: string): Middleware {
  return {
    onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${token}`);
      return request;
    },
  };
}

/** Exchanges a reader's username and password for a signed-in client. */
export async function signIn(baseUrl: string, username: string, password: string): Promise<BotBeat> {
  const { data, error } = await botbeat(baseUrl).POST("/api/v1/auth/token/", {
    body: { username, password },
  });
  if (error !== undefined) {
    throw new ProblemError(error);
  }
  return botbeat(baseUrl, data.token);
}

/** An error answer, as every 4xx and 5xx is: a problem document (RFC 9457). */
export class ProblemError extends Error {
  readonly problem: Schemas["Problem"];

  constructor(problem: Schemas["Problem"]) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.problem = problem;
  }
}
