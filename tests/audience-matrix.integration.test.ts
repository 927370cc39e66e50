// "Nothing is ever shown to someone outside its audience, through any page, API, feed, search
// result, notification or email." Five posts, one per audience, each with a unique word and
// hashtag and a mention of every member; nine viewers; every channel that can show a post.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from './helpers/db.ts';
import { startTestNode, type TestNode } from './helpers/node.ts';
import type { Client } from './helpers/client.ts';

type Viewer = 'anonymous' | 'author' | 'friend' | 'stranger' | 'blocked' | 'groupMember' | 'organizer' | 'outsider' | 'admin';
type Kind = 'public' | 'friends' | 'private' | 'group' | 'groupPublic';
const VIEWERS: Viewer[] = ['anonymous', 'author', 'friend', 'stranger', 'blocked', 'groupMember', 'organizer', 'outsider', 'admin'];
const KINDS: Kind[] = ['public', 'friends', 'private', 'group', 'groupPublic'];

/** Who may see each kind of post. Everything else must see nothing, anywhere. */
const SEES: Record<Kind, Viewer[]> = {
  public: ['anonymous', 'author', 'friend', 'stranger', 'groupMember', 'organizer', 'outsider', 'admin'],
  friends: ['author', 'friend'],
  private: ['author'],
  group: ['author', 'groupMember', 'organizer'],
  groupPublic: ['anonymous', 'author', 'friend', 'stranger', 'groupMember', 'organizer', 'outsider', 'admin'],
};

describe.each(dialects)('audience matrix on %s', (dialect) => {
  let n: TestNode;
  const c = {} as Record<Viewer, Client>;
  const users = {} as Record<Viewer, { id: string; username: string }>;
  const posts = {} as Record<Kind, string>;
  let groupId = '';

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    const admin = await n.setupAdmin('admin@example.org');
    c.admin = admin.client;
    users.admin = admin.user;
    c.anonymous = n.client();
    for (const v of ['author', 'friend', 'stranger', 'blocked', 'groupMember', 'organizer', 'outsider'] as const) {
      const s = await n.signup(`${v.toLowerCase()}@example.org`, `M ${v}`);
      c[v] = s.client;
      users[v] = s.user;
    }
    // Friendship author ⇄ friend; author blocks "blocked" (who was a friend, then got blocked).
    await c.author.post('/api/friends/requests', { userId: users.friend.id });
    await c.friend.post(`/api/friends/requests/${users.author.id}/accept`);
    await c.author.post('/api/friends/requests', { userId: users.blocked.id });
    await c.blocked.post(`/api/friends/requests/${users.author.id}/accept`);
    expect((await c.author.put(`/api/blocks/${users.blocked.id}`)).status).toBe(204);
    // A group on request: the organizer creates it, author and groupMember join.
    const group = await c.organizer.post('/api/groups', { name: 'Comité Matrice', kind: 'thematic', openness: 'open' });
    groupId = group.body.id;
    await c.author.post(`/api/groups/${groupId}/join`, {});
    await c.groupMember.post(`/api/groups/${groupId}/join`, {});
    await c.blocked.post(`/api/groups/${groupId}/join`, {});
    // Mentions mailed at once, so that mail is one of the channels checked.
    for (const v of VIEWERS.filter((x) => x !== 'anonymous')) await c[v].put('/api/me/notification-prefs', { mention: 'email_instant' });
    const mentions = VIEWERS.filter((v) => v !== 'anonymous').map((v) => `@${users[v].username}`).join(' ');
    for (const kind of KINDS) {
      const audience = kind === 'group' ? 'group' : kind === 'groupPublic' ? 'public' : kind;
      const res = await c.author.post('/api/posts', {
        body: `secret${kind}word #tag${kind} ${mentions}`,
        audience,
        groupId: kind.startsWith('group') ? groupId : undefined,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      posts[kind] = res.body.id;
    }
    await new Promise((r) => setTimeout(r, 300)); // instant notification mails
  });
  afterAll(() => n?.close());

  const ids = (page: { items: { id: string }[] }) => page.items.map((p) => p.id);

  for (const kind of KINDS) {
    for (const viewer of VIEWERS) {
      const may = SEES[kind].includes(viewer);
      it(`${kind} post, ${viewer}: ${may ? 'sees it' : 'sees it nowhere'}`, async () => {
        const id = posts[kind];
        const cl = c[viewer];
        const found: string[] = [];
        const single = await cl.get(`/api/posts/${id}`);
        if (single.status === 200) found.push('GET /api/posts/:id');
        else expect(single.status).toBe(404); // never 403: existence is not revealed
        const comments = await cl.get(`/api/posts/${id}/comments`);
        if (comments.status === 200) found.push('comments');
        if (viewer !== 'anonymous') {
          const feed = await cl.get('/api/feed');
          if (ids(feed.body).includes(id)) found.push('feed');
          const like = await cl.put(`/api/posts/${id}/like`);
          if (like.status === 200) {
            found.push('like');
            await cl.delete(`/api/posts/${id}/like`);
          }
        }
        if (ids((await cl.get('/api/posts/public')).body).includes(id)) found.push('public timeline');
        const profile = await cl.get(`/api/users/${users.author.username}/posts`);
        if (profile.status === 200 && ids(profile.body).includes(id)) found.push('profile');
        else if (profile.status !== 200) expect(profile.status).toBe(404);
        const groupPosts = await cl.get(`/api/groups/${groupId}/posts`);
        if (groupPosts.status === 200 && ids(groupPosts.body).includes(id)) found.push('group page');
        const tag = await cl.get(`/api/tags/tag${kind.toLowerCase()}`);
        if (tag.status === 200 && ids(tag.body).includes(id)) found.push('hashtag');
        const search = await cl.get(`/api/search?q=secret${kind.toLowerCase()}word`);
        if (search.body.posts?.some((p: { id: string }) => p.id === id)) found.push('search');
        if (viewer !== 'anonymous') {
          const notes = await cl.get('/api/notifications');
          if (notes.body.items.some((x: { link: string }) => x.link.includes(id))) found.push('notification');
          const address = `${viewer.toLowerCase()}@example.org`;
          // Mails leave through the queue: one that is due may still be on its way (a loaded machine).
          // (waitFor takes the mail it found out of the list.)
          const waited = may && viewer !== 'author' ? await n.smtp.waitFor(address, (m) => m.text.includes(id), 10_000).catch(() => null) : null;
          const mails = n.smtp.mails.filter((m) => m.to.includes(address) && m.text.includes(id));
          if (waited || mails.length) found.push('email');
        }
        if (!may) expect(found).toEqual([]);
        else {
          // Where it must show: the post itself and its comments everywhere; the feed for those
          // whose feed includes the author's circles.
          expect(found).toContain('GET /api/posts/:id');
          expect(found).toContain('comments');
          if (viewer !== 'anonymous' && viewer !== 'author' && (kind === 'friends' ? viewer === 'friend' : kind.startsWith('group') && viewer !== 'admin' && viewer !== 'friend' && viewer !== 'stranger' && viewer !== 'outsider')) {
            expect(found).toContain('feed');
          }
          if (kind === 'public' || kind === 'groupPublic') expect(found).toEqual(expect.arrayContaining(['public timeline', 'search', 'hashtag']));
          // Mentioned members who may see it are told, in the app and by mail (not the author).
          if (viewer !== 'anonymous' && viewer !== 'author') expect(found).toEqual(expect.arrayContaining(['notification', 'email']));
        }
      });
    }
  }

  it('never lets a viewer outside the audience comment or like', async () => {
    for (const viewer of ['stranger', 'blocked', 'outsider', 'admin'] as const) {
      expect((await c[viewer].post(`/api/posts/${posts.friends}/comments`, { body: 'hi' })).status).toBe(404);
      expect((await c[viewer].put(`/api/posts/${posts.group}/like`)).status).toBe(404);
    }
  });
});
