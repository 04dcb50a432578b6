// The site's service worker (the built site only; vite-offline.ts fills in BUILD): a classroom with bad Wi-Fi loads
// the site once and runs it offline after. It precaches the pages, their scripts and styles and the WASM binary, and
// keeps every other same-origin file a page (or its engine worker) fetched: models, data. Pages come from the network
// when there is one (a new version shows), from the cache when not; everything else from the cache first. A new
// build has a new version: installing it replaces the old cache.
const BUILD = { version: 'dev', precache: [] };
const PREFIX = 'inversion-playground-';
const CACHE = `${PREFIX}${BUILD.version}`;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(BUILD.precache)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(request.mode === 'navigate' ? page(request) : file(request));
});

/** A page: the network first, kept without its query (the settings); the cached copy when offline. */
async function page(request) {
  const cache = await caches.open(CACHE);
  const url = new URL(request.url);
  url.search = '';
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(url.href, response.clone());
    return response;
  } catch (error) {
    const hit = await cache.match(url.href);
    if (hit) return hit;
    throw error;
  }
}

/** Any other file: the cache first, else the network, kept when it arrives whole. */
async function file(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.status === 200) await cache.put(request, response.clone());
  return response;
}
