import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { contentSecurityPolicy } from './vite-csp.ts';
import { offlineServiceWorker } from './vite-offline.ts';
import { selfContainedWasmThreads } from './vite-wasm-threads.ts';

/** Where the site serves the <inversion-playground> module (built by vite.embed.config.ts into dist/embed/). */
const EMBED_MODULE = '/embed/inversion-playground.js';

/** The dev server serves the element's source under the built module's path, so the demo page is the same in both. */
function serveEmbedModuleInDev(): Plugin {
  return {
    name: 'serve-embed-module-in-dev',
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        if (req.url?.split('?')[0] === EMBED_MODULE) req.url = '/src/embed/element.ts';
        next();
      });
    },
  };
}

/**
 * Cross-origin isolation, so that WebAssembly may share memory between threads (tfjs's threaded WASM build). Static
 * hosts that cannot send headers get them from the site's service worker (src/offline/sw.js) from the second visit.
 */
export const CROSS_ORIGIN_ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// Relative base: the built site works from any sub-path of a static host.
export default defineConfig(({ command }) => ({
  base: './',
  // In dev, components inject their styles where they mount: the element mounts them in its shadow root, not the
  // document (the site build still emits CSS files).
  plugins: [svelte({ emitCss: command === 'build' }), serveEmbedModuleInDev(), contentSecurityPolicy(), offlineServiceWorker(import.meta.dirname)],
  worker: { format: 'es', plugins: () => [selfContainedWasmThreads()] },
  build: {
    target: 'es2022',
    rollupOptions: {
      input: {
        attack: 'attack.html', bench: 'bench.html', defense: 'defense.html', benchmark: 'benchmark.html', embed: 'embed.html', 'embed-demo': 'embed-demo.html', index: 'index.html',
      },
    },
  },
  server: { port: 5173, strictPort: false, headers: CROSS_ORIGIN_ISOLATION },
  preview: { headers: CROSS_ORIGIN_ISOLATION },
}));
