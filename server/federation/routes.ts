// JSON API for federation: looking up a remote account, and the admin's list of known servers.
import { Router } from 'express';
import { route } from '../http/api-kit.ts';
import type { KnownInstances } from './instances.ts';
import type { RemoteLookup } from './lookup.ts';

export function federationRoutes(d: { remote: RemoteLookup; instances: KnownInstances }): Router {
  const r = Router();
  route(r, 'get', '/federation/lookup', ({ actor, query }) => d.remote.lookup(actor, query));
  route(r, 'get', '/admin/instances', async ({ actor }) => ({ instances: await d.instances.list(actor) }));
  return r;
}
