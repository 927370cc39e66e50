// Who may see a post — the one rule, in two forms that must agree: a check for one post
// (`canSee`) and a SQL condition for lists (`visibleTo`). Every page, API answer, feed, search
// result, notification and mail goes through one of them.
//
//   - the author always sees their post;
//   - nobody sees the posts of a suspended member, nor those of a member they blocked or who
//     blocked them;
//   - public: everyone, without an account too;
//   - friends: the author's friends;
//   - group: the members of the post's group;
//   - private ("only me"): the author alone.
import { and, eq, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { FriendsRepository } from '../friends/repository.ts';
import type { GroupsRepository } from '../groups/repository.ts';

export type Audience = 'public' | 'friends' | 'group' | 'private';

export interface PostAudience {
  authorId: string;
  groupId: string | null;
  audience: Audience;
}

export class AudienceRules {
  readonly #db: Database;
  readonly #friends: FriendsRepository;
  readonly #groups: GroupsRepository;
  readonly #authorActive: (p: { id: string }) => Promise<{ status: string }[]>;

  constructor(db: Database, friends: FriendsRepository, groups: GroupsRepository) {
    this.#db = db;
    this.#friends = friends;
    this.#groups = groups;
    const { users } = db.t;
    this.#authorActive = db.prepared('author_status', (q) =>
      q
        .select({ status: users.status })
        .from(users)
        .where(eq(users.id, sql.placeholder('id'))),
    );
  }

  /** Whether a viewer (null: not logged in) may see a post. */
  async canSee(viewerId: string | null, post: PostAudience): Promise<boolean> {
    if (viewerId && viewerId === post.authorId) return true;
    if ((await this.#authorActive({ id: post.authorId }))[0]?.status !== 'active') return false;
    if (viewerId && (await this.#friends.blockedEither(viewerId, post.authorId))) return false;
    switch (post.audience) {
      case 'public':
        return true;
      case 'friends':
        return viewerId !== null && (await this.#friends.areFriends(viewerId, post.authorId));
      case 'group':
        return viewerId !== null && post.groupId !== null && (await this.#groups.role(post.groupId, viewerId)) !== null;
      default:
        return false;
    }
  }

  /** The same rule as a condition on the `posts` table (joined with the author as `users`). */
  visibleTo(viewerId: string | null): SQL {
    const { posts, users, friendships, groupMembers, blocks } = this.#db.t;
    const active = eq(users.status, 'active');
    if (!viewerId) return and(active, eq(posts.audience, 'public'))!;
    const friend = sql`exists (select 1 from ${friendships} where ${friendships.userId} = ${viewerId} and ${friendships.friendId} = ${posts.authorId})`;
    const member = sql`exists (select 1 from ${groupMembers} where ${groupMembers.userId} = ${viewerId} and ${groupMembers.groupId} = ${posts.groupId})`;
    const blocked = sql`exists (select 1 from ${blocks} where (${blocks.blockerId} = ${viewerId} and ${blocks.blockedId} = ${posts.authorId}) or (${blocks.blockerId} = ${posts.authorId} and ${blocks.blockedId} = ${viewerId}))`;
    return or(
      eq(posts.authorId, viewerId),
      and(
        active,
        sql`not ${blocked}`,
        or(
          eq(posts.audience, 'public'),
          and(eq(posts.audience, 'friends'), friend),
          and(eq(posts.audience, 'group'), member),
        ),
      ),
    )!;
  }
}
