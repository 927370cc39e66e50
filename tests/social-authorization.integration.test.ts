// Who may and who must not, for the reads and writes of the social core (issue 3): friends,
// posts, comments, likes, groups and their management. Nine kinds of visitors try every row on
// a real node; a refusal is a 4xx that changes nothing (checked where a write was refused).
// What each audience shows through every channel is tests/audience-matrix.integration.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestNode, type TestNode } from './helpers/node.ts';
import type { Client } from './helpers/client.ts';

type Who = 'anonymous' | 'stranger' | 'friend' | 'blocked' | 'author' | 'groupMember' | 'organizer' | 'groupAdmin' | 'admin';
const ALL: Who[] = ['anonymous', 'stranger', 'friend', 'blocked', 'author', 'groupMember', 'organizer', 'groupAdmin', 'admin'];
const MEMBERS_OF_GROUP: Who[] = ['author', 'groupMember', 'organizer', 'groupAdmin'];
const ORGANIZERS: Who[] = ['organizer', 'groupAdmin'];

type Ids = Record<string, string>;
interface Row {
  name: string;
  /** Fresh objects for one attempt (so that a permitted delete does not spoil the next one). */
  fresh?: () => Promise<Ids>;
  request: (ids: Ids) => [method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown];
  allowed: Who[];
  /** After a refusal: the object is as it was (a read by someone who may). */
  unchanged?: (ids: Ids) => Promise<void>;
}

describe('social authorization matrix', () => {
  let n: TestNode;
  const c = {} as Record<Who, Client>;
  const u = {} as Record<Who, { id: string; username: string }>;
  let group = '';
  let freshCount = 0;

  const post = async (audience: string, groupId?: string) => {
    const res = await c.author.post('/api/posts', { body: `Post ${audience} ${++freshCount}`, audience, groupId });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  /** A member who is nobody else in this test. */
  const newcomer = async () => n.signup(`newcomer${++freshCount}@example.org`, `Newcomer ${freshCount}`);

  beforeAll(async () => {
    n = await startTestNode('sqlite', { rateLimits: false });
    const admin = await n.setupAdmin('admin@example.org');
    c.admin = admin.client;
    u.admin = admin.user;
    c.anonymous = n.client();
    for (const who of ALL.filter((w) => w !== 'anonymous' && w !== 'admin')) {
      const s = await n.signup(`${who.toLowerCase()}@example.org`, `M ${who}`);
      c[who] = s.client;
      u[who] = s.user;
    }
    await c.author.post('/api/friends/requests', { userId: u.friend.id });
    await c.friend.post(`/api/friends/requests/${u.author.id}/accept`);
    await c.author.put(`/api/blocks/${u.blocked.id}`);
    await c.author.patch('/api/me', { friendListVisibility: 'friends' });
    // A group on request, members visible to members; author and groupMember are members.
    const created = await c.groupAdmin.post('/api/groups', { name: 'Comité Matrice', kind: 'local', postalCode: '75020', openness: 'open', membersVisibility: 'members' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    group = created.body.id;
    for (const who of ['organizer', 'author', 'groupMember'] as const) await c[who].post(`/api/groups/${group}/join`, {});
    await c.groupAdmin.put(`/api/groups/${group}/members/${u.organizer.id}/role`, { role: 'organizer' });
    const toRequest = await c.groupAdmin.patch(`/api/groups/${group}`, { openness: 'request' });
    expect(toRequest.status, JSON.stringify(toRequest.body) + group).toBe(200);
  });
  afterAll(() => n?.close());

  const rows: Row[] = [
    // Posts
    { name: 'read a public post', fresh: async () => ({ p: await post('public') }), request: (i) => ['GET', `/api/posts/${i.p}`], allowed: ALL.filter((w) => w !== 'blocked') },
    { name: 'read a friends-only post', fresh: async () => ({ p: await post('friends') }), request: (i) => ['GET', `/api/posts/${i.p}`], allowed: ['author', 'friend'] },
    { name: 'read an only-me post', fresh: async () => ({ p: await post('private') }), request: (i) => ['GET', `/api/posts/${i.p}`], allowed: ['author'] },
    { name: 'read a group post', fresh: async () => ({ p: await post('group', group) }), request: (i) => ['GET', `/api/posts/${i.p}`], allowed: MEMBERS_OF_GROUP },
    { name: 'read the comments of a friends-only post', fresh: async () => ({ p: await post('friends') }), request: (i) => ['GET', `/api/posts/${i.p}/comments`], allowed: ['author', 'friend'] },
    {
      name: 'comment a friends-only post',
      fresh: async () => ({ p: await post('friends') }),
      request: (i) => ['POST', `/api/posts/${i.p}/comments`, { body: 'Un commentaire' }],
      allowed: ['author', 'friend'],
      unchanged: async (i) => expect((await c.author.get(`/api/posts/${i.p}/comments`)).body.comments ?? []).toEqual([]),
    },
    { name: 'like a group post', fresh: async () => ({ p: await post('group', group) }), request: (i) => ['PUT', `/api/posts/${i.p}/like`], allowed: MEMBERS_OF_GROUP },
    {
      name: 'edit a public post',
      fresh: async () => ({ p: await post('public') }),
      request: (i) => ['PATCH', `/api/posts/${i.p}`, { body: 'Texte remplacé' }],
      allowed: ['author'],
      unchanged: async (i) => expect((await c.author.get(`/api/posts/${i.p}`)).body.html).not.toContain('remplacé'),
    },
    {
      name: 'delete a public post',
      fresh: async () => ({ p: await post('public') }),
      request: (i) => ['DELETE', `/api/posts/${i.p}`],
      allowed: ['author', 'admin'],
      unchanged: async (i) => expect((await c.author.get(`/api/posts/${i.p}`)).status).toBe(200),
    },
    {
      name: 'delete a group post',
      fresh: async () => ({ p: await post('group', group) }),
      request: (i) => ['DELETE', `/api/posts/${i.p}`],
      allowed: ['author', ...ORGANIZERS, 'admin'],
      unchanged: async (i) => expect((await c.author.get(`/api/posts/${i.p}`)).status).toBe(200),
    },
    { name: 'pin a group post', fresh: async () => ({ p: await post('group', group) }), request: (i) => ['PUT', `/api/groups/${group}/pin`, { postId: i.p }], allowed: ORGANIZERS },
    {
      name: 'post to a group',
      request: () => ['POST', '/api/posts', { body: 'Dans le groupe', audience: 'group', groupId: group }],
      allowed: MEMBERS_OF_GROUP,
    },
    // Comments (written by the friend on the author's public post)
    {
      name: "edit someone's comment",
      fresh: async () => {
        const p = await post('public');
        return { p, k: (await c.friend.post(`/api/posts/${p}/comments`, { body: 'Mon avis' })).body.id };
      },
      request: (i) => ['PATCH', `/api/comments/${i.k}`, { body: 'Avis modifié' }],
      allowed: ['friend'],
      unchanged: async (i) => expect(JSON.stringify((await c.author.get(`/api/posts/${i.p}/comments`)).body)).not.toContain('modifié'),
    },
    {
      name: 'delete a comment',
      fresh: async () => {
        const p = await post('public');
        return { p, k: (await c.friend.post(`/api/posts/${p}/comments`, { body: 'Mon avis' })).body.id };
      },
      request: (i) => ['DELETE', `/api/comments/${i.k}`],
      allowed: ['friend', 'author', 'admin'],
      unchanged: async (i) => expect(JSON.stringify((await c.author.get(`/api/posts/${i.p}/comments`)).body)).toContain('Mon avis'),
    },
    // Friends
    { name: "see the author's friend list (friends only)", request: () => ['GET', `/api/users/${u.author.username}/friends`], allowed: ['author', 'friend'] },
    {
      name: "accept a request sent to the author",
      fresh: async () => {
        const x = await newcomer();
        await x.client.post('/api/friends/requests', { userId: u.author.id });
        return { x: x.user.id };
      },
      request: (i) => ['POST', `/api/friends/requests/${i.x}/accept`],
      allowed: ['author'],
      unchanged: async (i) => expect((await c.author.get(`/api/relations/${i.x}`)).body.relation).toBe('request_received'),
    },
    {
      name: 'send the author a friend request',
      request: () => ['POST', '/api/friends/requests', { userId: u.author.id }],
      // Not: themself, an existing friend, someone the author blocked (who must not learn it).
      allowed: ['stranger', 'groupMember', 'organizer', 'groupAdmin', 'admin'],
    },
    // Groups
    { name: 'read a group', request: () => ['GET', `/api/groups/${group}`], allowed: ALL },
    { name: "list a group's members (members only)", request: () => ['GET', `/api/groups/${group}/members`], allowed: MEMBERS_OF_GROUP },
    { name: "export a group's members (CSV)", request: () => ['GET', `/api/groups/${group}/members.csv`], allowed: ORGANIZERS },
    { name: 'see join requests', request: () => ['GET', `/api/groups/${group}/requests`], allowed: ORGANIZERS },
    {
      name: 'approve a join request',
      fresh: async () => {
        const x = await newcomer();
        await x.client.post(`/api/groups/${group}/join`, {});
        return { x: x.user.id };
      },
      request: (i) => ['POST', `/api/groups/${group}/requests/${i.x}/approve`],
      allowed: ORGANIZERS,
      unchanged: async (i) => expect((await c.groupAdmin.get(`/api/groups/${group}/requests`)).body.requests.map((r: { id: string }) => r.id)).toContain(i.x),
    },
    {
      name: 'invite a member',
      fresh: async () => ({ x: (await newcomer()).user.username }),
      request: (i) => ['POST', `/api/groups/${group}/invitations`, { username: i.x }],
      allowed: ORGANIZERS,
    },
    { name: 'create an invitation link', request: () => ['POST', `/api/groups/${group}/links`], allowed: ORGANIZERS },
    {
      name: 'remove a member',
      fresh: async () => {
        const x = await newcomer();
        await x.client.post(`/api/groups/${group}/join`, {});
        await c.groupAdmin.post(`/api/groups/${group}/requests/${x.user.id}/approve`);
        return { x: x.user.id };
      },
      request: (i) => ['DELETE', `/api/groups/${group}/members/${i.x}`],
      allowed: ORGANIZERS,
      unchanged: async (i) => expect((await c.groupAdmin.get(`/api/groups/${group}/members`)).body.members.map((m: { id: string }) => m.id)).toContain(i.x),
    },
    { name: 'change a role', request: () => ['PUT', `/api/groups/${group}/members/${u.groupMember.id}/role`, { role: 'member' }], allowed: ['groupAdmin'] },
    {
      name: "edit a group's settings",
      request: () => ['PATCH', `/api/groups/${group}`, { description: 'Nouvelle description' }],
      allowed: ['groupAdmin'],
    },
    {
      name: 'delete a group',
      fresh: async () => {
        const g = (await c.groupAdmin.post('/api/groups', { name: `À supprimer ${++freshCount}`, kind: 'thematic', openness: 'open' })).body.id;
        await c.organizer.post(`/api/groups/${g}/join`, {});
        await c.groupAdmin.put(`/api/groups/${g}/members/${u.organizer.id}/role`, { role: 'organizer' });
        for (const who of ['author', 'groupMember'] as const) await c[who].post(`/api/groups/${g}/join`, {});
        return { g, name: (await c.groupAdmin.get(`/api/groups/${g}`)).body.handle };
      },
      request: (i) => ['DELETE', `/api/groups/${i.g}`, { confirm: i.name }],
      allowed: ['groupAdmin'],
      unchanged: async (i) => expect((await c.groupAdmin.get(`/api/groups/${i.g}`)).status).toBe(200),
    },
  ];

  for (const row of rows) {
    for (const who of ALL) {
      const allowed = row.allowed.includes(who);
      it(`${row.name}: ${who} ${allowed ? 'may' : 'may not'}`, async () => {
        const ids = (await row.fresh?.()) ?? {};
        const [method, path, body] = row.request(ids);
        const res = await c[who].request(method, path, body);
        if (allowed) {
          expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
          return;
        }
        // Refused: never a success, never a server error; anonymous writes need a login.
        expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        if (who === 'anonymous' && method !== 'GET') expect([401, 404]).toContain(res.status);
        await row.unchanged?.(ids);
      });
    }
  }
});
