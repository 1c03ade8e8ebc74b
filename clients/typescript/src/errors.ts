/** Reading an error: every 4xx and 5xx is a `Problem`, its `errors` naming the offending fields. */
import { type BotBeat, ProblemError, type Schemas } from "./client.js";
import { postComment } from "./comments.js";

/** What a comment form shows after a refused post: a message per field, or one for the form. */
export async function submitCommentForm(
  client: BotBeat,
  slug: string,
  body: string,
): Promise<{ posted: Schemas["Comment"] } | { messages: Map<string, string> }> {
  try {
    return { posted: await postComment(client, slug, body) };
  } catch (caught) {
    if (!(caught instanceof ProblemError)) {
      throw caught;
    }
    return { messages: formMessages(caught.problem) };
  }
}

/** Keyed by field (`""` for the form as a whole), as a form shows them. */
export function formMessages(problem: Schemas["Problem"]): Map<string, string> {
  const messages = new Map<string, string>();
  for (const fieldError of problem.errors) {
    messages.set(fieldError.field ?? "", fieldError.message);
  }
  if (messages.size === 0) {
    messages.set("", problem.status === 429 ? "Too many comments: wait a minute." : problem.detail);
  }
  return messages;
}

/** A bad filter value is a 400 naming the parameter; the feed narrows on the status. */
export async function feedOrFilterError(
  client: BotBeat,
  pageSize: number,
): Promise<Schemas["PaginatedArticleListList"] | Schemas["ProblemFieldError"][]> {
  const { data, error, response } = await client.GET("/api/v1/articles/", {
    params: { query: { page_size: pageSize } },
  });
  if (error === undefined) {
    return data;
  }
  if (response.status === 400) {
    return error.errors;
  }
  throw new ProblemError(error);
}
