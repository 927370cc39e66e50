// The one search box, on both databases: accent-insensitive French, people only if they accept
// to be found (and never across a block), groups, public posts only, hashtags; bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dialects } from '../../tests/helpers/db.ts';
import { startTestNode, type TestNode } from '../../tests/helpers/node.ts';

type Member = Awaited<ReturnType<TestNode['signup']>>;

describe.each(dialects)('search on %s', (dialect) => {
  let n: TestNode;
  let elodie: Member, marc: Member, zoe: Member;

  beforeAll(async () => {
    n = await startTestNode(dialect, { rateLimits: false });
    elodie = await n.signup('elodie@example.org', 'Élodie Lefèvre');
    marc = await n.signup('marc@example.org', 'Marc Œuvray');
    zoe = await n.signup('zoe@example.org', 'Zoé');
  });
  afterAll(() => n?.close());

  const search = async (m: Member | null, q: string) => (await (m ? m.client : n.client()).get(`/api/search?q=${encodeURIComponent(q)}`)).body;
  const names = (r: { people: { username: string }[] }) => r.people.map((p) => p.username);

  it('finds people whatever the accents and case, members only unless the profile is public', async () => {
    expect(names(await search(zoe, 'elodie lefevre'))).toEqual(['elodie_lefevre']);
    expect(names(await search(zoe, 'ÉLODIE'))).toEqual(['elodie_lefevre']);
    expect(names(await search(zoe, 'oeuvray'))).toEqual(['marc_oeuvray']);
    expect(names(await search(null, 'elodie'))).toEqual([]); // her profile is not public
    await elodie.client.patch('/api/me', { profilePublic: true });
    expect(names(await search(null, 'elodie'))).toEqual(['elodie_lefevre']);
  });

  it('leaves out members who do not want to be found, and across a block either way', async () => {
    await marc.client.patch('/api/me', { searchable: false });
    expect(names(await search(zoe, 'marc'))).toEqual([]);
    await marc.client.patch('/api/me', { searchable: true });
    expect(names(await search(zoe, 'marc'))).toEqual(['marc_oeuvray']);
    await marc.client.put(`/api/blocks/${zoe.user.id}`);
    expect(names(await search(zoe, 'marc'))).toEqual([]);
    expect(names(await search(marc, 'zoe'))).toEqual([]);
    await marc.client.delete(`/api/blocks/${zoe.user.id}`);
  });

  it('finds public posts by any accented form of their words, never the others', async () => {
    await elodie.client.post('/api/posts', { body: "Rendez-vous devant l'église Saint-Éloi #Manif", audience: 'public' });
    await elodie.client.post('/api/posts', { body: 'Réunion à l’eglise, entre ami·es', audience: 'friends' });
    // Many newer matching posts outside the audience must not push the public one out.
    for (let i = 0; i < 30; i++) await elodie.client.post('/api/posts', { body: `Note église ${i}`, audience: 'private' });
    for (const q of ['eglise', 'ÉGLISE', 'Eglise saint-eloi', 'egl']) {
      const r = await search(zoe, q);
      expect(r.posts.map((p: { html: string }) => p.html), q).toEqual([expect.stringContaining('Saint-Éloi')]);
    }
    expect((await search(null, 'eglise')).posts).toHaveLength(1);
    expect((await search(elodie, 'eglise')).posts).toHaveLength(1); // search shows public posts only, even one's own
    expect((await search(zoe, 'eglise lyon')).posts).toEqual([]); // every word must match
  });

  it('finds groups by name and hashtags by prefix, with their use count', async () => {
    await marc.client.post('/api/groups', { name: 'Comité Éducation Populaire', kind: 'thematic', openness: 'open' });
    expect((await search(zoe, 'education')).groups.map((g: { name: string }) => g.name)).toEqual(['Comité Éducation Populaire']);
    expect((await search(zoe, '#man')).hashtags).toEqual([{ tag: 'manif', uses: 1 }]);
    expect((await search(zoe, '#man')).people).toEqual([]);
  });

  it('answers an empty or one-letter query with nothing, and refuses an oversized one', async () => {
    expect(await search(zoe, ' ')).toMatchObject({ people: [], groups: [], posts: [], hashtags: [] });
    expect(await search(zoe, 'é')).toMatchObject({ people: [], groups: [], posts: [], hashtags: [] });
    const long = await zoe.client.get(`/api/search?q=${'a'.repeat(201)}`);
    expect(long.status).toBe(400);
    expect(long.body.message).toBeTruthy();
    expect((await zoe.client.get('/api/search?q=%25%5F%5C')).status).toBe(200); // LIKE wildcards are plain text
    expect((await zoe.client.get('/api/search?q=eglise&type=weird')).status).toBe(400);
  });
});
