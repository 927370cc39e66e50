// A stub "other server" on loopback for the remote media tests: pictures made with sharp (a JPEG
// carrying GPS position, camera, copyright and an orientation, which must not survive), pages,
// JSON, redirects, huge and endless bodies, a server that never answers; every request logged so
// that tests can assert what was never asked.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import sharp from 'sharp';

const MiB = 1024 * 1024;

/** A JPEG whose metadata must not survive: GPS position, camera, copyright, orientation 6. */
export const source = sharp({ create: { width: 2400, height: 1200, channels: 3, background: '#c33' } })
  .jpeg()
  .withExif({
    IFD0: { Copyright: 'SECRET-COPYRIGHT', Make: 'SpyCam' },
    IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 21/1 300/100' },
  })
  .withMetadata({ orientation: 6 })
  .toBuffer();

export interface Logged {
  path: string;
  aborted?: boolean;
  sent?: number;
}

/** A remote server: pictures, pages, redirects, huge bodies; every request logged. */
export async function startPictureServer() {
  const log: Logged[] = [];
  const jpeg = await source;
  const counters = new Map<string, number>();
  let base = '';
  const picture = (res: ServerResponse, headers: Record<string, string> = {}) => res.writeHead(200, { 'content-type': 'image/jpeg', ...headers }).end(jpeg);
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const entry: Logged = { path: req.url ?? '' };
    log.push(entry);
    const path = entry.path.split('?')[0];
    const n = (counters.get(entry.path) ?? 0) + 1;
    counters.set(entry.path, n);
    const redirect = (to: string) => res.writeHead(302, { location: to }).end();
    if (path === '/avatar.jpg') return picture(res);
    if (path === '/slow.jpg') return void setTimeout(() => picture(res), 300);
    if (path === '/page.html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html><script>alert(1)</script></html>');
    if (path === '/picture-as-html') return picture(res, { 'content-type': 'text/html' });
    if (path === '/data.json') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"x"}');
    if (path === '/fake.png') return res.writeHead(200, { 'content-type': 'image/png' }).end('<html>not a picture</html>');
    if (path === '/svg.png') return res.writeHead(200, { 'content-type': 'image/png' }).end('<svg xmlns="http://www.w3.org/2000/svg"/>');
    if (path === '/broken') return res.writeHead(500).end();
    if (path === '/flaky.jpg') return n === 1 ? res.writeHead(503).end() : picture(res);
    if (path === '/hang') return; // never answers
    if (path === '/nine.png') return res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(9 * MiB) }).end(Buffer.alloc(9 * MiB));
    if (path === '/endless.png') {
      // No length announced: only counting what arrives can stop it.
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(256 * 1024);
      let sent = 0;
      res.on('close', () => Object.assign(entry, { aborted: !res.writableFinished, sent }));
      const pump = () => {
        while (sent < 64 * MiB) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    const hops = /^\/redirect\/(\d+)$/.exec(path);
    if (hops) return Number(hops[1]) === 0 ? picture(res) : redirect(`/redirect/${Number(hops[1]) - 1}`);
    const hop = /^\/to\/(.+)$/.exec(path);
    if (hop) return redirect(decodeURIComponent(hop[1]));
    // Anything else: a picture under a name chosen to harm, which must be ignored.
    return picture(res, { 'content-disposition': 'attachment; filename="../../../../tmp/evil-militant.sh"' });
  };
  const server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  base = `http://127.0.0.1:${port}`;
  return {
    log,
    host: `127.0.0.1:${port}`,
    url: (path: string) => `${base}${path}`,
    hits: (path: string) => log.filter((l) => l.path === path).length,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
export type PictureServer = Awaited<ReturnType<typeof startPictureServer>>;
