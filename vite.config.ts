import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Relative base: the built site works from any sub-path of a static host.
export default defineConfig({
  base: './',
  plugins: [svelte()],
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    rollupOptions: { input: { index: 'index.html', bench: 'bench.html', defense: 'defense.html', benchmark: 'benchmark.html' } },
  },
  server: { port: 5173, strictPort: false },
});
