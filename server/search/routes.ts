import { Router } from 'express';
import { route } from '../http/api-kit.ts';
import type { SearchService } from './service.ts';

export function searchRoutes(d: { search: SearchService }): Router {
  const r = Router();
  route(r, 'get', '/search', ({ actor, query, meta }) => d.search.search(actor, query, meta));
  return r;
}
