// Our posts and comments as ActivityStreams documents, for servers that fetch them (a reply's
// server checks the post it answers, Mastodon fetches a linked post). A public post is served to
// anyone; a friends-only one only to a signed request from a friend of its author's (the key's
// owner resolved to our row); a group's post to the servers of its members; "only me" never.
import { Note } from '@fedify/vocab';
import type { RequestContext } from '@fedify/fedify';
import type { AppFederation } from './federation.ts';
import type { RemoteActors } from './actors.ts';
import type { FriendsRepository } from '../friends/repository.ts';
import type { PostsRepository, PostRow } from '../posts/repository.ts';
import type { FederationRepository } from './repository.ts';
import type { GroupsRepository } from '../groups/repository.ts';
import { addressing, commentNote, groupAddressing, postNote } from './vocab.ts';

export function setupObjects(
  federation: AppFederation,
  d: { publicUrl: URL; posts: PostsRepository; friends: FriendsRepository; actors: RemoteActors; repo: FederationRepository; groups: GroupsRepository },
) {
  const origin = d.publicUrl.origin;

  /**
   * Whether the request may read a post of ours: public; friends-only fetched by a friend; in a
   * group, fetched by a member, by a server that has members of the group here, or, for a group of
   * another server, by that group's server.
   */
  const mayRead = async (ctx: RequestContext<null>, post: PostRow | undefined): Promise<boolean> => {
    if (!post || post.uri) return false;
    if (post.audience === 'public') return true;
    if (post.audience !== 'friends' && post.audience !== 'group') return false;
    const owner = await ctx.getSignedKeyOwner().catch(() => null);
    if (!owner?.id) return false;
    if (post.audience === 'group' && post.groupId) {
      const group = await d.groups.byId(post.groupId);
      if (!group) return false;
      if (group.host) return group.host === owner.id.host.toLowerCase();
      return d.repo.hostHasMember(group.id, owner.id.host.toLowerCase());
    }
    const known = await d.actors.byUri(owner.id.href);
    return known?.kind === 'person' && (await d.friends.areFriends(post.authorId, known.id));
  };
  /** A post's addressing: a group's post to the group, the others by audience. */
  const addressed = async (ctx: RequestContext<null>, post: PostRow, authorId: string) => {
    if (post.groupId) {
      const group = await d.groups.byId(post.groupId);
      const uri = group?.host ? new URL((await d.actors.byId(group.id))?.uri ?? ctx.getActorUri(post.groupId)) : ctx.getActorUri(post.groupId);
      return groupAddressing(uri, post.audience);
    }
    const friends = post.audience === 'friends' ? (await d.repo.remoteFriends(post.authorId)).map((f) => new URL(f.uri)) : [];
    return addressing(post.audience, author(ctx, authorId), friends, []);
  };

  const author = (ctx: RequestContext<null>, id: string) => ({ uri: ctx.getActorUri(id), followers: ctx.getFollowersUri(id) });

  /** Posts and comments share one address space, /posts/{id} (ids are random, one dispatcher per type). */
  federation
    .setObjectDispatcher(Note, '/posts/{id}', async (ctx, { id }) => {
      const post = await d.posts.byId(id);
      if (post) {
        if (!(await mayRead(ctx, post))) return null;
        const { to, cc } = await addressed(ctx, post, post.authorId);
        return postNote(origin, post, author(ctx, post.authorId), { to, cc, images: await d.posts.images([post.id]), mentions: [], hashtags: await d.posts.hashtagsOf(post.id) });
      }
      const comment = await d.posts.comment(id);
      if (!comment || comment.uri) return null;
      const parentPost = await d.posts.byId(comment.postId);
      if (!parentPost || !(await mayRead(ctx, parentPost))) return null;
      const parent = comment.parentId ? await d.posts.comment(comment.parentId) : null;
      const inReplyTo = new URL(parent ? (parent.uri ?? `/posts/${parent.id}`) : (parentPost.uri ?? `/posts/${parentPost.id}`), origin);
      const { to, cc } = await addressed(ctx, parentPost, comment.authorId);
      return commentNote(origin, comment, author(ctx, comment.authorId), inReplyTo, { to, cc });
    })
    .authorize(async (ctx, { id }) => {
      const post = await d.posts.byId(id);
      if (post) return mayRead(ctx, post);
      const comment = await d.posts.comment(id);
      return Boolean(comment) && (await mayRead(ctx, await d.posts.byId(comment!.postId)));
    });
}
