// The Content-Security-Policy of every page, as a <meta> in its HTML so that it holds on any static host too. No
// inline script and nothing from another origin: scripts, workers, fetches (models, data, WASM) and frames come from
// the page's own origin. 'wasm-unsafe-eval' lets tfjs compile its WASM backend; inline styles stay allowed because
// Svelte sets style attributes and, in dev, injects component styles.
import type { Plugin } from 'vite';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

export function contentSecurityPolicy(): Plugin {
  return {
    name: 'content-security-policy',
    transformIndexHtml: {
      order: 'pre',
      handler: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
    },
  };
}
