// The <inversion-playground> element as one ES module (dist/embed/inversion-playground.js); run after the site build
// (npm run build), which it must not wipe. Components inject their styles (no CSS file): the element puts them in its
// shadow root. Its engine worker is the site's own (dist/assets/engine.worker-*.js, 2.5 MB): the same source builds
// to the same file, so the module points at that one rather than ship a second copy (see reuseSiteWorker).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { selfContainedWasmThreads } from './vite-wasm-threads.ts';

const SITE_ASSETS = path.resolve('dist/assets');

/**
 * Drops a worker this build emits when the site build (dist/assets/) already holds the very same file (same name,
 * hashed from its content, and same bytes), and points the module at the site's copy, one folder up. Built alone (no
 * site build beside it) or with a worker that differs, the copy stays where it was: the module still works.
 */
function reuseSiteWorker(): Plugin {
  return {
    name: 'reuse-site-worker',
    apply: 'build',
    generateBundle(_options, bundle) {
      for (const [fileName, output] of Object.entries(bundle)) {
        if (output.type !== 'asset' || !/^assets\/[^/]*\.worker-[\w-]+\.js$/.test(fileName)) continue;
        const siteFile = path.join(SITE_ASSETS, path.basename(fileName));
        if (!fs.existsSync(siteFile) || !Buffer.from(output.source).equals(fs.readFileSync(siteFile))) {
          this.warn(`${fileName}: no identical worker in dist/assets (run the site build first); shipping a copy beside the module`);
          continue;
        }
        // The module finds its worker with new URL(`assets/<name>`, import.meta.url): make that `../assets/<name>`.
        const quoted = new RegExp(`(["'\`])${fileName.replaceAll('.', '\\.')}\\1`, 'g');
        let found = false;
        for (const chunk of Object.values(bundle)) {
          if (chunk.type !== 'chunk' || chunk.code.search(quoted) < 0) continue;
          chunk.code = chunk.code.replace(quoted, `$1../${fileName}$1`);
          found = true;
        }
        if (found) delete bundle[fileName];
      }
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [svelte({ emitCss: false }), reuseSiteWorker()],
  publicDir: false,
  worker: { format: 'es', plugins: () => [selfContainedWasmThreads()] },
  build: {
    target: 'es2022',
    outDir: 'dist/embed',
    emptyOutDir: true,
    rollupOptions: {
      input: 'src/embed/element.ts',
      output: { entryFileNames: 'inversion-playground.js', chunkFileNames: 'chunks/[name]-[hash].js', assetFileNames: 'assets/[name]-[hash][extname]' },
    },
  },
});
