/**
 * The client at work against a running BotBeat: the article page, the feed filtered, a comment
 * posted with a token, an error read. `BOTBEAT_URL`, `BOTBEAT_ARTICLE` (a slug),
 * `BOTBEAT_USERNAME` and `BOTBEAT_PASSWORD` say where and who. check.sh only compiles it; to run
 * it: `npx tsc --noEmit false --outDir .build && node .build/main.js`.
 */
import { articlePage } from "./article-page.js";
import { botbeat, signIn } from "./client.js";
import { feedOrFilterError, submitCommentForm } from "./errors.js";
import { feed } from "./feed.js";

function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const baseUrl = setting("BOTBEAT_URL");
const slug = setting("BOTBEAT_ARTICLE");
const anonymous = botbeat(baseUrl);

const page = await articlePage(anonymous, slug);
console.log(`page: ${page.title} [${page.category}] by ${page.company}, ${page.comments.length} comments`);

const company = await anonymous.GET("/api/v1/articles/{slug}/", { params: { path: { slug } } });
const companySlug = company.data?.company?.slug;
if (companySlug !== undefined) {
  const articles = await feed(anonymous, { company: companySlug, category: "research" }, 1);
  console.log(`feed: ${articles.length} research articles of ${companySlug}`);
}

const tooLarge = await feedOrFilterError(anonymous, 1000);
console.log(`page_size=1000: ${Array.isArray(tooLarge) ? tooLarge.map((e) => `${e.field} ${e.code}`).join(", ") : "accepted"}`);

const reader = await signIn(baseUrl, setting("BOTBEAT_USERNAME"), setting("BOTBEAT_PASSWORD"));
const posted = await submitCommentForm(reader, slug, "A typed client wrote this.");
console.log("posted" in posted ? `comment ${posted.posted.id}: ${posted.posted.status}` : posted.messages);
const blank = await submitCommentForm(reader, slug, "   ");
console.log("posted" in blank ? "a blank comment was accepted" : blank.messages);
