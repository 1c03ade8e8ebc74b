/** The article page of seed/botbeat-article-page.txt, from one call (GET .../page/). */
import { type BotBeat, ProblemError, type Schemas } from "./client.js";

export interface ArticlePageView {
  title: string;
  category: string;
  company: string;
  takeaways: readonly string[];
  source: string | null;
  tags: readonly string[];
  moreFromCompany: readonly string[];
  suggested: readonly { title: string; sharedTags: readonly string[] }[];
  comments: readonly { indent: number; author: string; body: string }[];
}

/**
 * Every key of an article is optional in the schema (`fields` may choose some), so each is
 * read with a fallback: the types make a client handle the keys it did not ask for.
 */
export async function articlePage(client: BotBeat, slug: string): Promise<ArticlePageView> {
  const { data, error } = await client.GET("/api/v1/articles/{slug}/page/", {
    params: { path: { slug }, query: { more_limit: 3, suggested_limit: 3, comments_page_size: 50 } },
  });
  if (error !== undefined) {
    throw new ProblemError(error);
  }
  const { article, more_from_company, suggested, comments } = data;
  return {
    title: article.title ?? "",
    category: article.category?.label?.toUpperCase() ?? "",
    company: article.company?.name ?? "",
    takeaways: article.takeaways ?? [],
    source: article.source ? `${article.source.name} (${article.source.url})` : null,
    tags: (article.tags ?? []).map((tag) => tag.name ?? ""),
    moreFromCompany: more_from_company.results.map((item) => item.title ?? ""),
    suggested: suggested.results.map((item) => ({
      title: item.title ?? "",
      sharedTags: (item.reason?.shared_tags ?? []).map((tag) => tag.name ?? ""),
    })),
    comments: comments.results.map(commentLine),
  };
}

/** A withheld comment that has replies keeps its place, with no author or body (API.md). */
function commentLine(comment: Schemas["Comment"]): ArticlePageView["comments"][number] {
  return {
    indent: comment.depth,
    author: comment.author?.display_name ?? `[${comment.status}]`,
    body: comment.body ?? "",
  };
}
