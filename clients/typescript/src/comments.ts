/** Posting a comment, or a reply, as a signed-in reader (a bearer token, see client.ts). */
import { type BotBeat, ProblemError, type Schemas } from "./client.js";

/** The comment as stored: `status` says whether the public sees it yet (`pending` when not). */
export async function postComment(
  client: BotBeat,
  slug: string,
  body: string,
  parent?: number,
): Promise<Schemas["Comment"]> {
  // Annotated for the excess-property check, which a conditional literal escapes in a call.
  const comment: Schemas["CommentCreateRequest"] = parent === undefined ? { body } : { body, parent };
  const { data, error } = await client.POST("/api/v1/articles/{slug}/comments/", {
    params: { path: { slug } },
    body: comment,
  });
  if (error !== undefined) {
    throw new ProblemError(error);
  }
  return data;
}
