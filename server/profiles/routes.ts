// JSON API for profiles, the member's own settings, data export and account deletion.
import express, { Router } from 'express';
import type { ProfileService } from './service.ts';
import type { PrivacyService } from '../privacy/service.ts';
import { route } from '../http/api-kit.ts';
import { sessionCookie } from '../http/cookies.ts';
import { communesForPostalCode, isPostalCodeFormat } from '../geo/communes.ts';
import { fail } from '../errors.ts';

export function profileRoutes(d: { profiles: ProfileService; privacy: PrivacyService; secure: boolean; uploadLimitBytes: number }): Router {
  const r = Router();
  route(r, 'get', '/users/:username', ({ actor, params }) => d.profiles.view(actor, params.username));
  route(r, 'get', '/me', ({ actor }) => d.profiles.own(actor));
  route(r, 'patch', '/me', ({ actor, body }) => d.profiles.update(actor, body));
  // The picture arrives as the raw request body (image/*), bounded before it is read in full.
  r.put('/me/avatar', express.raw({ type: () => true, limit: d.uploadLimitBytes }));
  route(r, 'put', '/me/avatar', async ({ actor, req }) => {
    if (!/^image\//.test(req.get('content-type') ?? '')) throw fail.unsupportedMedia('avatar.invalid');
    return { avatarUrl: await d.profiles.setAvatar(actor, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)) };
  });
  route(r, 'delete', '/me/avatar', ({ actor }) => d.profiles.removeAvatar(actor));
  route(r, 'get', '/me/export', async ({ actor, res, query }) => {
    if (query.format === 'json') {
      res.setHeader('Content-Disposition', 'attachment; filename="my-data.json"');
      return d.privacy.export(actor);
    }
    const { filename, bytes } = await d.privacy.exportArchive(actor);
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    res.send(Buffer.from(bytes));
  });
  route(r, 'get', '/me/deletion-preview', ({ actor }) => d.privacy.deletionPreview(actor));
  route(r, 'delete', '/me', async ({ actor, body, res }) => {
    await d.privacy.deleteAccount(actor, body);
    res.clearCookie(sessionCookie(d.secure).name, { path: '/' });
  });
  route(r, 'get', '/postal-codes/:code', ({ params }) => {
    if (!isPostalCodeFormat(params.code)) throw fail.invalid({ postalCode: 'postal_code.invalid' });
    return { communes: communesForPostalCode(params.code).map((c) => ({ code: c.code, name: c.name, departementCode: c.departementCode })) };
  });
  return r;
}
