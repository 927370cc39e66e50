// Request-level protections shared by every route: security headers, the internal headers the
// web layer trusts, and cross-site request forgery checks (ASVS 3.4, 3.5).
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.ts';

/** Headers we write ourselves for the web layer (any client-sent value is overwritten). */
export const INTERNAL_HEADERS = {
  proto: 'x-militant-proto',
  host: 'x-militant-host',
  clientIp: 'x-militant-client-ip',
} as const;

/** Headers sent on every response. Pages get their CSP (with nonces) from SvelteKit. */
export function securityHeaders(opts: { secure: boolean }) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), payment=(), usb=(), geolocation=(self)');
    if (opts.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    if (req.path.startsWith('/api/')) {
      res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
      res.setHeader('Cache-Control', 'no-store');
    }
    next();
  };
}

/**
 * Makes the web layer see the canonical origin and the real client address: SvelteKit's
 * adapter reads these headers (PROTOCOL_HEADER, HOST_HEADER, ADDRESS_HEADER), and Express
 * computes the address from the trusted proxies only (TRUST_PROXY).
 */
export function internalHeaders(publicUrl: URL) {
  const proto = publicUrl.protocol.replace(':', '');
  return (req: Request, _res: Response, next: NextFunction) => {
    req.headers[INTERNAL_HEADERS.proto] = proto;
    req.headers[INTERNAL_HEADERS.host] = publicUrl.host;
    req.headers[INTERNAL_HEADERS.clientIp] = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    next();
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses state-changing requests that a browser sent from another site. Browsers tell us with
 * Sec-Fetch-Site and Origin; a request with neither comes from a non-browser client, which has
 * no ambient cookie to abuse unless it sends one itself.
 */
export function csrfGuard(publicUrl: URL, extraOrigins: string[] = []) {
  const allowed = new Set([publicUrl.origin, ...extraOrigins]);
  return (req: Request, _res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const site = req.get('sec-fetch-site');
    const origin = req.get('origin');
    if (site && site !== 'same-origin' && site !== 'none') return next(new AppError('forbidden', { message: 'error.csrf' }));
    if (origin !== undefined && !allowed.has(origin)) return next(new AppError('forbidden', { message: 'error.csrf' }));
    next();
  };
}
