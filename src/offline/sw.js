// The site's service worker (the built site only; vite-offline.ts fills in BUILD): a classroom with bad Wi-Fi loads
// the site once and runs it offline after. It precaches the pages, their scripts and styles and the WASM binary, and
// keeps every other same-origin file a page (or its engine worker) fetched: models, data. Pages come from the network
// when there is one (a new version shows), from the cache when not; everything else from the cache first. A new
// build has a new version: installing it replaces the old cache. It also adds COOP/COEP to what it hands over, so that
// a static host that cannot send headers still gets a cross-origin isolated site (WASM threads) from the next visit.
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
  if (request.mode === 'navigate') event.respondWith(Promise.all([page(request), threadsReady(event)]).then(([r, ready]) => (ready ? isolated(r) : r)));
  else event.respondWith(file(request).then(isolated));
});

// A cross-origin isolated page makes the engine run tfjs's threaded WASM build where it gets 2 threads or more (4 or
// more logical processors: src/worker/engine.worker.ts), and the precache holds the other one. So there a page is
// isolated only once the threaded binary is cached: fetched when a page first asks, used from the next visit, and
// an offline visit never needs a binary it lacks.
const THREADED = 'tfjs-wasm/tfjs-backend-wasm-threaded-simd.wasm';

async function threadsReady(event) {
  if ((self.navigator.hardwareConcurrency ?? 1) < 4) return true;
  const cache = await caches.open(CACHE);
  const url = new URL(THREADED, self.registration.scope).href;
  if (await cache.match(url)) return true;
  event.waitUntil(cache.add(url).catch(() => undefined));
  return false;
}

/** The response with the cross-origin isolation headers (as vite.config.ts's CROSS_ORIGIN_ISOLATION) added. */
function isolated(response) {
  if (response.status === 0) return response; // opaque: nothing to add to
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

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
