// GET /media/remote/:key?url=… — pictures of other servers, through this instance (see
// server/media/remote.ts and decision 0018). Every header is ours: whatever the other server
// sent (type, name, length, cookies) was dropped with the bytes it re-encoded.
import type { Request, Response } from 'express';
import type { RemoteMedia } from '../media/remote.ts';

export function remoteMediaRoute(remoteMedia: RemoteMedia) {
  return async (req: Request, res: Response) => {
    const picture = await remoteMedia.picture(req.params.key, req.query.url);
    // Inert wherever it is opened: never sniffed as HTML, no script, no subresource, not
    // embeddable by other sites.
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'");
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (!picture) {
      // A bare 404 for an <img>: the page shows its placeholder. Failures are remembered by the
      // server for 10 minutes; the browser may ask again (it costs us a look-up in memory).
      res.status(404).setHeader('Cache-Control', 'no-store').end();
      return;
    }
    res.setHeader('Content-Type', 'image/webp');
    // A link names one remote URL, whose picture we keep 30 days: browsers keep it a week unasked.
    res.setHeader('Cache-Control', 'public, max-age=604800, immutable');
    res.setHeader('Content-Length', String(picture.length));
    res.end(picture);
  };
}
