// Groups: creation, the three kinds of openness, roles and the last admin, contact consent and
// the CSV export, invitations, directory, following, pinning; on each database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../tests/helpers/db.ts';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';
import type { Client } from '../../tests/helpers/client.ts';

type Member = { client: Client; user: { id: string; username: string } };

describe.each(dialects)('groups on %s', (dialect) => {
  let n: TestNode;
  let org: Member, ali: Member, bea: Member, cyr: Member;
  let open: { id: string; handle: string };
  let onRequest: { id: string; handle: string };
  let invite: { id: string; handle: string };

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    org = await n.signup('org@example.org', 'Orga', '69001');
    ali = await n.signup('ali@example.org', 'Ali', '69002');
    bea = await n.signup('bea@example.org', 'Béa', '13001');
    cyr = await n.signup('cyr@example.org', 'Cyr', '69003');
  });
  afterAll(() => n?.close());

  it('creates groups with unique handles shared with usernames, and validates every field', async () => {
    const res = await org.client.post('/api/groups', { name: 'Insoumis Lyon 1er', kind: 'local', postalCode: '69001', description: 'Tractage **chaque** samedi.' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ handle: 'insoumis_lyon_1er', kind: 'local', communeName: 'Lyon 1er Arrondissement', memberCount: 1, status: 'admin' });
    open = res.body;
    const view = (await ali.client.get(`/api/groups/${open.handle}`)).body;
    expect(view.descriptionHtml).toContain('<strong>chaque</strong>');
    const same = await org.client.post('/api/groups', { name: 'Insoumis Lyon 1er', kind: 'thematic' });
    expect(same.body.handle).toBe('insoumis_lyon_1er_2');
    expect((await org.client.post('/api/groups', { name: 'X', kind: 'thematic', handle: 'ali' })).status).toBe(400); // name too short
    const taken = await org.client.post('/api/groups', { name: 'Groupe', kind: 'thematic', handle: 'ali' });
    expect(taken.status).toBe(409);
    expect(taken.body.fields.handle).toBe('Cet identifiant est déjà pris.');
    const bad = await org.client.post('/api/groups', { name: '', kind: 'galaxy', openness: 'maybe', postalCode: '1' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields).sort()).toEqual(['kind', 'name', 'openness', 'postalCode']);
    const noPlace = await org.client.post('/api/groups', { name: 'Local sans lieu', kind: 'local' });
    expect(noPlace.body.fields.postalCode).toMatch(/commune/);
    const xss = await org.client.post('/api/groups', { name: 'Groupe <b>gras</b>', kind: 'thematic', description: '<script>alert(1)</script>[x](javascript:alert(1))' });
    expect(xss.status).toBe(201);
    const x = (await ali.client.get(`/api/groups/${xss.body.id}`)).body;
    expect(x.descriptionHtml).not.toMatch(/<script|href="javascript/);
    // A member cannot take a group's handle as username either.
    expect((await ali.client.patch('/api/me', { username: 'insoumis_lyon_1er' })).status).toBe(409);
  });

  it('lets anyone join an open group, and leave it', async () => {
    expect((await ali.client.post(`/api/groups/${open.id}/join`, { shareContact: true })).body).toEqual({ status: 'member' });
    expect((await ali.client.post(`/api/groups/${open.id}/join`)).body).toEqual({ status: 'member' }); // idempotent
    expect((await ali.client.get(`/api/groups/${open.id}`)).body).toMatchObject({ memberCount: 2, myRole: 'member', myShareContact: true });
    expect((await cyr.client.post(`/api/groups/${open.id}/join`)).status).toBe(200);
    expect((await cyr.client.post(`/api/groups/${open.id}/leave`)).status).toBe(204);
    expect((await cyr.client.post(`/api/groups/${open.id}/leave`)).status).toBe(404);
    expect((await org.client.get(`/api/groups/${open.id}`)).body.memberCount).toBe(2);
  });

  it('asks the question on request, notifies organizers, and tells the requester the decision', async () => {
    onRequest = (await org.client.post('/api/groups', { name: 'Comité sur demande', kind: 'thematic', openness: 'request', joinQuestion: 'Pourquoi nous rejoindre ?' })).body;
    const noAnswer = await bea.client.post(`/api/groups/${onRequest.id}/join`, {});
    expect(noAnswer.status).toBe(400);
    expect(noAnswer.body.fields.answer).toBe('Répondez à la question du groupe.');
    expect((await bea.client.post(`/api/groups/${onRequest.id}/join`, { answer: 'Pour agir' })).body).toEqual({ status: 'requested' });
    const note = (await org.client.get('/api/notifications')).body.items[0];
    expect(note).toMatchObject({ type: 'group_join_request', text: 'Béa demande à rejoindre Comité sur demande', link: `/g/${onRequest.handle}/manage` });
    expect((await ali.client.get(`/api/groups/${onRequest.id}/requests`)).status).toBe(403);
    const requests = (await org.client.get(`/api/groups/${onRequest.id}/requests`)).body.requests;
    expect(requests).toMatchObject([{ username: 'bea', answer: 'Pour agir' }]);
    expect((await org.client.post(`/api/groups/${onRequest.id}/requests/${bea.user.id}/approve`)).status).toBe(204);
    expect((await org.client.post(`/api/groups/${onRequest.id}/requests/${bea.user.id}/approve`)).status).toBe(409);
    expect((await bea.client.get('/api/notifications')).body.items[0]).toMatchObject({ type: 'group_join_approved' });
    expect((await bea.client.get(`/api/groups/${onRequest.id}`)).body.myRole).toBe('member');
    await cyr.client.post(`/api/groups/${onRequest.id}/join`, { answer: '?' });
    await org.client.post(`/api/groups/${onRequest.id}/requests/${cyr.user.id}/decline`);
    expect((await cyr.client.get('/api/notifications')).body.items[0]).toMatchObject({ type: 'group_join_declined' });
    expect((await cyr.client.get(`/api/groups/${onRequest.id}`)).body.myRole).toBeNull();
  });

  it('lets only invited members into an invite-only group, by invitation or link', async () => {
    invite = (await org.client.post('/api/groups', { name: 'Cercle fermé', kind: 'thematic', openness: 'invite' })).body;
    expect((await cyr.client.post(`/api/groups/${invite.id}/join`)).status).toBe(403);
    expect((await ali.client.post(`/api/groups/${invite.id}/invitations`, { username: 'cyr' })).status).toBe(403);
    expect((await org.client.post(`/api/groups/${invite.id}/invitations`, { username: 'nobody' })).status).toBe(400);
    expect((await org.client.post(`/api/groups/${invite.id}/invitations`, { username: '@cyr' })).status).toBe(204);
    expect((await cyr.client.get('/api/notifications')).body.items[0]).toMatchObject({ type: 'group_invitation', text: 'Orga vous invite à rejoindre Cercle fermé' });
    expect((await cyr.client.get(`/api/groups/${invite.id}`)).body.invited).toBe(true);
    expect((await cyr.client.post(`/api/groups/${invite.id}/join`)).body).toEqual({ status: 'member' });
    const link = await org.client.post(`/api/groups/${invite.id}/links`);
    expect(link.body.token).toMatch(/^[a-z2-7]{32}$/);
    expect((await bea.client.post(`/api/invitations/${link.body.token}`, { shareContact: false })).status).toBe(200);
    expect((await bea.client.get(`/api/groups/${invite.id}`)).body.myRole).toBe('member');
    await org.client.delete(`/api/groups/${invite.id}/links/${link.body.id}`);
    expect((await ali.client.post(`/api/invitations/${link.body.token}`)).status).toBe(410);
    expect((await ali.client.post('/api/invitations/not-a-real-token-at-all')).status).toBe(410);
  });

  it('keeps a group with an admin, and lets only admins change roles', async () => {
    expect((await org.client.post(`/api/groups/${open.id}/leave`)).status).toBe(409);
    expect((await ali.client.put(`/api/groups/${open.id}/members/${ali.user.id}/role`, { role: 'admin' })).status).toBe(403);
    expect((await org.client.put(`/api/groups/${open.id}/members/${org.user.id}/role`, { role: 'member' })).status).toBe(409);
    expect((await org.client.put(`/api/groups/${open.id}/members/${ali.user.id}/role`, { role: 'organizer' })).status).toBe(204);
    expect((await org.client.put(`/api/groups/${open.id}/members/${ali.user.id}/role`, { role: 'boss' })).status).toBe(400);
    // An organizer manages requests but cannot remove another organizer, nor change roles.
    await cyr.client.post(`/api/groups/${open.id}/join`);
    expect((await ali.client.delete(`/api/groups/${open.id}/members/${cyr.user.id}`)).status).toBe(204);
    expect((await ali.client.delete(`/api/groups/${open.id}/members/${org.user.id}`)).status).toBe(403);
    expect((await org.client.put(`/api/groups/${open.id}/members/${ali.user.id}/role`, { role: 'admin' })).status).toBe(204);
    expect((await org.client.post(`/api/groups/${open.id}/leave`)).status).toBe(204); // Ali is admin now
    await org.client.post(`/api/groups/${open.id}/join`);
    expect((await ali.client.put(`/api/groups/${open.id}/members/${org.user.id}/role`, { role: 'admin' })).status).toBe(204);
  });

  it('shows contacts to organizers only where the member consented, in the list and the CSV', async () => {
    await bea.client.post(`/api/groups/${open.id}/join`, { shareContact: false });
    await ali.client.patch('/api/me', { phone: '+33 6 12 34 56 78' });
    const members = (await org.client.get(`/api/groups/${open.id}/members`)).body.members;
    expect(members.find((m: { username: string }) => m.username === 'ali')).toMatchObject({ email: 'ali@example.org', phone: '+33 6 12 34 56 78' });
    expect(members.find((m: { username: string }) => m.username === 'bea').email).toBeUndefined();
    const asMember = (await bea.client.get(`/api/groups/${open.id}/members`)).body.members;
    expect(asMember.every((m: { email?: string }) => m.email === undefined)).toBe(true);
    const csv = await org.client.get(`/api/groups/${open.id}/members.csv`);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(csv.body).toContain('"ali@example.org"');
    expect(csv.body).not.toContain('bea@example.org');
    expect(csv.body).toContain("\"'+33 6 12 34 56 78\""); // no formula injection
    expect((await bea.client.get(`/api/groups/${open.id}/members.csv`)).status).toBe(403);
    await bea.client.put(`/api/groups/${open.id}/contact-consent`, { shareContact: true });
    expect((await org.client.get(`/api/groups/${open.id}/members.csv`)).body).toContain('bea@example.org');
  });

  it('hides the member list per the group setting', async () => {
    await ali.client.patch(`/api/groups/${open.id}`, { membersVisibility: 'organizers' });
    expect((await bea.client.get(`/api/groups/${open.id}/members`)).status).toBe(403);
    expect((await org.client.get(`/api/groups/${open.id}/members`)).status).toBe(200);
    expect((await n.client().get(`/api/groups/${open.id}/members`)).status).toBe(403);
    await ali.client.patch(`/api/groups/${open.id}`, { membersVisibility: 'public' });
    expect((await n.client().get(`/api/groups/${open.id}/members`)).status).toBe(200);
    expect((await bea.client.patch(`/api/groups/${open.id}`, { name: 'Pris' })).status).toBe(403);
  });

  it('finds groups by name (without accents), commune, département and distance', async () => {
    const byName = (await cyr.client.get('/api/groups?q=COMITE')).body.groups.map((g: { handle: string }) => g.handle);
    expect(byName).toContain(onRequest.handle);
    expect((await cyr.client.get('/api/groups?departement=69')).body.groups.map((g: { handle: string }) => g.handle)).toEqual([open.handle]);
    expect((await cyr.client.get('/api/groups?commune=69381')).body.groups.map((g: { handle: string }) => g.handle)).toEqual([open.handle]);
    const near = (await cyr.client.get('/api/groups?km=10')).body;
    expect(near.near).toBe(true);
    expect(near.groups[0]).toMatchObject({ handle: open.handle });
    expect(near.groups[0].distanceKm).toBeLessThan(5);
    expect((await bea.client.get('/api/groups?km=10')).body.groups).toEqual([]); // Marseille
    expect((await cyr.client.get('/api/groups?km=9999')).status).toBe(400);
    expect((await cyr.client.get('/api/groups?departement=ABC')).status).toBe(400);
    const nearMe = (await cyr.client.get('/api/groups/near')).body.groups;
    expect(nearMe.map((g: { handle: string }) => g.handle)).toEqual([open.handle]);
  });

  it('lets members post, organizers pin, and followers get public posts in their feed', async () => {
    const post = await bea.client.post('/api/posts', { body: 'Réunion mardi', audience: 'group', groupId: open.id });
    expect(post.status).toBe(201);
    expect((await cyr.client.post('/api/posts', { body: 'intrus', audience: 'group', groupId: open.id })).status).toBe(403);
    expect((await bea.client.put(`/api/groups/${open.id}/pin`, { postId: post.body.id })).status).toBe(403);
    expect((await org.client.put(`/api/groups/${open.id}/pin`, { postId: post.body.id })).status).toBe(204);
    expect((await org.client.get(`/api/groups/${open.id}`)).body.pinnedPostId).toBe(post.body.id);
    expect((await org.client.put(`/api/groups/${open.id}/pin`, { postId: 'zzzzzzzzzzzzzzzz' })).status).toBe(400);
    const pub = await bea.client.post('/api/posts', { body: 'Tractage samedi, venez !', audience: 'public', groupId: open.id });
    expect((await cyr.client.put(`/api/groups/${open.id}/follow`)).status).toBe(204);
    const feed = (await cyr.client.get('/api/feed')).body.items.map((p: { id: string }) => p.id);
    expect(feed).toContain(pub.body.id);
    expect(feed).not.toContain(post.body.id);
    // Organizers may delete posts in their group; members may not delete others'.
    expect((await cyr.client.delete(`/api/posts/${pub.body.id}`)).status).toBe(403);
    expect((await org.client.delete(`/api/posts/${pub.body.id}`)).status).toBe(204);
  });

  it('deletes a group only when its admin confirms with the handle', async () => {
    expect((await org.client.delete(`/api/groups/${invite.id}`, { confirm: 'wrong' })).status).toBe(400);
    expect((await bea.client.delete(`/api/groups/${invite.id}`, { confirm: invite.handle })).status).toBe(403);
    expect((await org.client.delete(`/api/groups/${invite.id}`, { confirm: invite.handle })).status).toBe(204);
    expect((await org.client.get(`/api/groups/${invite.id}`)).status).toBe(404);
  });
});
