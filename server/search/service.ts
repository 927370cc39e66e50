// One search box: people (who accept to be found), groups, public posts and hashtags,
// accent-insensitive ("église" finds "Eglise").
import { and, desc, eq, notInArray, or, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Database } from '../db/client.ts';
import { parse } from '../validation.ts';
import type { Actor, RequestMeta } from '../accounts/actor.ts';
import type { FriendsRepository } from '../friends/repository.ts';
import type { GroupService, GroupSummary } from '../groups/service.ts';
import type { PostService, PostView } from '../posts/service.ts';
import type { PostsRepository } from '../posts/repository.ts';
import { normaliseTag } from '../posts/markdown.ts';
import { memberSummary, summaryFields, type MemberSummary } from '../profiles/summary.ts';
import type { RateLimits } from '../security/rate-limits.ts';
import { escapeLike, normalizeForSearch } from './normalize.ts';

export interface SearchResults {
  query: string;
  people: MemberSummary[];
  groups: GroupSummary[];
  posts: PostView[];
  hashtags: { tag: string; uses: number }[];
}

const searchSchema = z.object({
  q: z.string().trim().max(200, 'search.too_long').default(''),
  type: z.enum(['all', 'people', 'groups', 'posts', 'hashtags']).optional().default('all'),
});

const LIMIT = 20;

export class SearchService {
  readonly #db: Database;
  readonly #friends: FriendsRepository;
  readonly #groups: GroupService;
  readonly #posts: PostService;
  readonly #postsRepo: PostsRepository;
  readonly #limits: RateLimits;

  constructor(d: { db: Database; friends: FriendsRepository; groups: GroupService; posts: PostService; postsRepo: PostsRepository; limits: RateLimits }) {
    this.#db = d.db;
    this.#friends = d.friends;
    this.#groups = d.groups;
    this.#posts = d.posts;
    this.#postsRepo = d.postsRepo;
    this.#limits = d.limits;
  }

  /**
   * People appear only if they accept to be found; to visitors without an account, only those
   * who also made their profile public. Members blocking the searcher (or blocked) never appear.
   */
  async #people(viewer: Actor | null, text: string): Promise<MemberSummary[]> {
    const { users } = this.#db.t;
    const exclude = viewer ? [viewer.userId, ...(await this.#friends.blockedIds(viewer.userId))] : [];
    const rows = await this.#db.q
      .select(summaryFields(users))
      .from(users)
      .where(
        and(
          eq(users.status, 'active'),
          eq(users.searchable, true),
          viewer ? undefined : eq(users.profilePublic, true),
          sql`${users.searchName} like ${`%${escapeLike(text)}%`} escape '\\'`,
          exclude.length ? notInArray(users.id, exclude) : undefined,
        ),
      )
      .orderBy(users.displayName, users.id)
      .limit(LIMIT);
    return rows.map(memberSummary);
  }

  async search(viewer: Actor | null, input: unknown, meta: RequestMeta): Promise<SearchResults> {
    const v = parse(searchSchema, input ?? {});
    const empty: SearchResults = { query: v.q, people: [], groups: [], posts: [], hashtags: [] };
    const text = normalizeForSearch(v.q.replace(/^[#@]/, ''));
    if (text.length < 2) return empty;
    await this.#limits.consume(['search:ip', meta.ip]);
    const want = (t: string) => v.type === 'all' || v.type === t;
    const tag = normaliseTag(v.q.replace(/^#/, ''));
    const [people, groups, posts, hashtags] = await Promise.all([
      want('people') && !v.q.startsWith('#') ? this.#people(viewer, text) : [],
      want('groups') && !v.q.startsWith('#') ? this.#groups.directory(viewer, { q: v.q.replace(/^@/, '') }).then((r) => r.groups.slice(0, LIMIT)) : [],
      want('posts') ? this.#posts.search(viewer, v.q, LIMIT) : [],
      want('hashtags') && tag ? this.#postsRepo.hashtags(tag, 10) : [],
    ]);
    return { query: v.q, people, groups, posts, hashtags };
  }
}
