// The <inversion-playground> element as one ES module (dist/embed/inversion-playground.js) with the engine worker as
// a separate chunk beside it; run after the site build (npm run build), which it must not wipe. Components inject
// their styles (no CSS file): the element puts them in its shadow root.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  base: './',
  plugins: [svelte({ emitCss: false })],
  publicDir: false,
  worker: { format: 'es' },
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
