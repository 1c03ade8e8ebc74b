/** The article feed with its filters, followed page by page through the cursor. */
import { type BotBeat, ProblemError, type Schemas } from "./client.js";
import type { operations } from "./schema.js";

type FeedQuery = NonNullable<operations["articles_list"]["parameters"]["query"]>;

/** The filters of API.md's feed, named as the schema names them. */
export type FeedFilters = Pick<
  FeedQuery,
  "company" | "tag" | "tag_any" | "exclude_tag" | "category" | "published_after" | "q"
>;

/** The first `pages` pages of the feed, newest first. */
export async function feed(
  client: BotBeat,
  filters: FeedFilters,
  pages = 2,
): Promise<Schemas["ArticleList"][]> {
  const articles: Schemas["ArticleList"][] = [];
  let cursor: string | undefined;
  for (let page = 0; page < pages; page++) {
    // Annotated, so that a misspelt key is an error here: openapi-fetch infers `params` as a
    // type parameter, and a literal holding spreads escapes the excess-property check there.
    const query: FeedQuery = {
      ...filters,
      ...(cursor !== undefined && { cursor }),
      ordering: "-published_at",
      page_size: 20,
    };
    const { data, error } = await client.GET("/api/v1/articles/", { params: { query } });
    if (error !== undefined) {
      throw new ProblemError(error);
    }
    articles.push(...data.results);
    if (data.next === null) {
      break;
    }
    cursor = new URL(data.next).searchParams.get("cursor") ?? undefined;
  }
  return articles;
}

/** The seed page's "More from OpenAI" as a feed: one company's research, on two tags. */
export function companyResearch(client: BotBeat, company: string): Promise<Schemas["ArticleList"][]> {
  return feed(client, { company, category: "research", tag: ["generative-ai", "ai-safety-alignment"] });
}
