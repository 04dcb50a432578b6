// Serves dist/ under a sub-path, as a static host would serve the site from a folder of a blog
// (`tsx scripts/serve-dist.ts --base /blog/playground/ --port 4174`): nothing outside the sub-path exists, so an
// absolute path anywhere in the built site fails.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { base: { type: 'string', default: '/blog/playground/' }, port: { type: 'string', default: '4174' }, dir: { type: 'string', default: 'dist' } } });
const base = values.base.endsWith('/') ? values.base : `${values.base}/`;
const root = path.resolve(values.dir);
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm', '.bin': 'application/octet-stream', '.gz': 'application/gzip', '.png': 'image/png',
};

http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  // A blog page outside the sub-path, for the test to embed the site from (the demo page is the site's own).
  if (!url.pathname.startsWith(base)) {
    res.writeHead(404).end('not under the sub-path');
    return;
  }
  const relative = decodeURIComponent(url.pathname.slice(base.length)) || 'index.html';
  const file = path.join(root, relative);
  if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404).end('not found');
    return;
  }
  // A short cache lifetime, as common static hosts send (GitHub Pages: 10 minutes); the service worker's precache of
  // what the page just loaded then comes from the browser's cache, not the network.
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'public, max-age=600' });
  fs.createReadStream(file).pipe(res);
}).listen(Number(values.port), () => console.log(`dist/ at http://localhost:${values.port}${base}`));
