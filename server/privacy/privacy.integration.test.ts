// "Download my data" and account deletion with everything the social core added: posts,
// comments, likes, friends, groups (and the hand-over of groups the member alone runs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unzipSync, strFromU8 } from 'fflate';
import { eq, or } from 'drizzle-orm';
import sharp from 'sharp';
import { dialects } from '../../tests/helpers/db.ts';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';

type Member = { client: Client; user: { id: string; username: string } };

describe.each(dialects)('your data on %s', (dialect) => {
  let n: TestNode;
  let leaving: Member, friend: Member, other: Member;
  let soloGroup: { id: string }, sharedGroup: { id: string };
  let ownPost: string, friendPost: string;

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    leaving = await n.signup('leaving@example.org', 'Partant');
    friend = await n.signup('friend@example.org', 'Amie');
    other = await n.signup('other@example.org', 'Autre');
    await leaving.client.post('/api/friends/requests', { userId: friend.user.id });
    await friend.client.post(`/api/friends/requests/${leaving.user.id}/accept`);
    soloGroup = (await leaving.client.post('/api/groups', { name: 'Groupe solo', kind: 'thematic' })).body;
    sharedGroup = (await leaving.client.post('/api/groups', { name: 'Groupe partagé', kind: 'thematic' })).body;
    await friend.client.post(`/api/groups/${sharedGroup.id}/join`);
    await other.client.post(`/api/groups/${sharedGroup.id}/join`);
    await leaving.client.put(`/api/groups/${sharedGroup.id}/members/${other.user.id}/role`, { role: 'organizer' });
    const png = await sharp({ create: { width: 50, height: 40, channels: 3, background: '#357' } }).png().toBuffer();
    const form = new FormData();
    form.set('body', 'Mon **compte rendu**, "avec" des guillemets');
    form.set('audience', 'friends');
    form.set('image0', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'photo.png');
    form.set('alt0', 'Une photo');
    const res = await fetch(new URL('/api/posts', n.url), { method: 'POST', headers: { cookie: leaving.client.cookieHeader, origin: n.url.origin }, body: form });
    expect(res.status).toBe(201);
    ownPost = (await res.json()).id;
    friendPost = (await friend.client.post('/api/posts', { body: 'Post de mon amie', audience: 'public' })).body.id;
    await leaving.client.post(`/api/posts/${friendPost}/comments`, { body: 'Mon commentaire' });
    await other.client.post(`/api/posts/${friendPost}/comments`, { body: 'Un autre commentaire' });
    await leaving.client.put(`/api/posts/${friendPost}/like`);
  });
  afterAll(() => n?.close());

  it('exports everything as a zip: JSON, CSV files and the pictures, without secrets', async () => {
    const res = await fetch(new URL('/api/me/export', n.url), { headers: { cookie: leaving.client.cookieHeader } });
    expect(res.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Object.keys(files).sort()).toEqual(expect.arrayContaining(['comments.csv', 'data.json', 'friends.csv', 'memberships.csv', 'posts.csv']));
    const data = JSON.parse(strFromU8(files['data.json']));
    expect(data.posts).toHaveLength(1);
    expect(data.posts[0]).toMatchObject({ text: 'Mon **compte rendu**, "avec" des guillemets', audience: 'friends' });
    expect(data.comments).toHaveLength(1);
    expect(data.likes).toHaveLength(1);
    expect(data.friends).toMatchObject([{ username: 'amie' }]);
    expect(data.memberships).toHaveLength(2);
    const image = data.posts[0].images[0].file;
    expect(files[`media/${image}`]).toBeDefined();
    expect(strFromU8(files['posts.csv'])).toContain('"Mon **compte rendu**, ""avec"" des guillemets"');
    expect(JSON.stringify(data)).not.toMatch(/passwordHash|unsubscribeToken|secretHash|tokenHash|codeHash/);
  });

  it('tells what deletion will do before it is confirmed', async () => {
    const preview = (await leaving.client.get('/api/me/deletion-preview')).body;
    expect(preview).toMatchObject({ posts: 1, comments: 1, likes: 1, friends: 1, groups: 2 });
    expect(preview.handovers).toEqual(
      expect.arrayContaining([
        { group: 'Groupe solo', handle: expect.any(String), to: null },
        { group: 'Groupe partagé', handle: expect.any(String), to: 'Autre' },
      ]),
    );
  });

  it('deletes posts, comments, likes, friendships and memberships, hands groups over and keeps counts right', async () => {
    expect((await leaving.client.delete('/api/me', { confirm: leaving.user.username })).status).toBe(204);
    const { db } = n.node.services;
    const t = db.t;
    const uid = leaving.user.id;
    expect(await db.q.select().from(t.posts).where(eq(t.posts.authorId, uid))).toEqual([]);
    expect(await db.q.select().from(t.comments).where(eq(t.comments.authorId, uid))).toEqual([]);
    expect(await db.q.select().from(t.likes).where(eq(t.likes.userId, uid))).toEqual([]);
    expect(await db.q.select().from(t.friendships).where(or(eq(t.friendships.userId, uid), eq(t.friendships.friendId, uid)))).toEqual([]);
    expect(await db.q.select().from(t.groupMembers).where(eq(t.groupMembers.userId, uid))).toEqual([]);
    expect(await db.q.select().from(t.postImages).where(eq(t.postImages.postId, ownPost))).toEqual([]);
    expect((await friend.client.get(`/api/posts/${friendPost}`)).body).toMatchObject({ likeCount: 0, commentCount: 1 });
    expect((await friend.client.get(`/api/posts/${friendPost}/comments`)).body.comments).toHaveLength(1);
    expect((await other.client.get(`/api/groups/${soloGroup.id}`)).status).toBe(404);
    expect((await other.client.get(`/api/groups/${sharedGroup.id}`)).body).toMatchObject({ myRole: 'admin', memberCount: 2 });
    expect((await friend.client.get('/api/users/partant')).status).toBe(404);
  });
});
