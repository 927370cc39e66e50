// JSON API for federation: looking up a remote account, the admin's list of known servers, and the
// instance's policy (mode, rules per server, Mastodon's block-list CSV). The services decide who
// may: administrators change, moderators read.
import express, { Router } from 'express';
import { route } from '../http/api-kit.ts';
import type { KnownInstances } from './instances.ts';
import type { RemoteLookup } from './lookup.ts';
import type { FederationPolicy } from './policy.ts';
import { MAX_IMPORT_BYTES } from './blocklist.ts';

export function federationRoutes(d: { remote: RemoteLookup; instances: KnownInstances; policy: FederationPolicy }): Router {
  const r = Router();
  route(r, 'get', '/federation/lookup', ({ actor, query }) => d.remote.lookup(actor, query));
  route(r, 'get', '/admin/instances', async ({ actor }) => ({ instances: await d.instances.list(actor) }));

  route(r, 'get', '/admin/federation', ({ actor }) => d.policy.overview(actor, d.instances));
  route(r, 'put', '/admin/federation/mode', async ({ actor, body }) => ({ mode: await d.policy.setMode(actor, body) }));
  route(r, 'put', '/admin/federation/rules', async ({ actor, body }) => ({ rule: await d.policy.setRule(actor, body) }));
  route(r, 'delete', '/admin/federation/rules/:host', ({ actor, params }) => d.policy.removeRule(actor, params.host));
  route(r, 'get', '/admin/federation/blocks.csv', async ({ actor, res }) => {
    const csv = await d.policy.exportBlocks(actor);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="domain_blocks.csv"');
    res.send(csv);
  });
  // The file as the request body (text/csv or text/plain; JSON was already read by the API's
  // parser, and the service refuses it as not a list). Up to 2 MiB is read only for an
  // administrator's session; the service still decides, and answers everyone else.
  const readList = express.text({ type: () => true, limit: MAX_IMPORT_BYTES });
  r.post('/admin/federation/blocks.csv', (req, res, next) => (req.actor?.role === 'admin' ? readList(req, res, next) : next()));
  route(r, 'post', '/admin/federation/blocks.csv', ({ actor, body }) => d.policy.importBlocks(actor, body));
  return r;
}
