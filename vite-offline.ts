// Emits the service worker (src/offline/sw.js) into the built site as sw.js, with its version and precache list:
// every page, script and style of the build, the WASM binary the engine uses and the models manifest. The version
// hashes the build's file names (content-hashed) and the models manifest, so any change replaces the cache.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Plugin } from 'vite';

export function offlineServiceWorker(root: string): Plugin {
  return {
    name: 'offline-service-worker',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const built = Object.keys(bundle).filter((f) => /\.(html|js|css)$/.test(f)).sort();
      const manifest = fs.readFileSync(path.join(root, 'public/models/manifest.json'));
      const precache = ['./', ...built, 'favicon.svg', 'models/manifest.json', 'tfjs-wasm/tfjs-backend-wasm-simd.wasm'];
      const version = createHash('sha256').update(built.join('\n')).update(manifest).digest('hex').slice(0, 16);
      const source = fs.readFileSync(path.join(root, 'src/offline/sw.js'), 'utf8')
        .replace(/^const BUILD = .*;$/m, `const BUILD = ${JSON.stringify({ version, precache })};`);
      if (!source.includes(version)) throw new Error('src/offline/sw.js: the BUILD line to fill in is missing');
      this.emitFile({ type: 'asset', fileName: 'sw.js', source });
    },
  };
}
