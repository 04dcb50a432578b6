// Offline use of the built site: registers the service worker (src/offline/sw.js, emitted as sw.js by
// vite-offline.ts) and says how far it got, for the "available offline" note. Not in dev (the dev server serves
// modules that change as you edit) and not where a browser has no service workers (the page works the same online).
export type OfflineStatus = 'unavailable' | 'saving' | 'ready' | 'failed';

class Offline {
  status = $state<OfflineStatus>('unavailable');
  /** Resolves once the service worker controls this page (so the engine worker's fetches are kept too), or never. */
  readonly controlled: Promise<void>;
  private resolveControlled!: () => void;

  constructor() {
    this.controlled = new Promise((r) => (this.resolveControlled = r));
  }

  register(): void {
    if (!import.meta.env.PROD || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
    const sw = navigator.serviceWorker;
    this.status = 'saving';
    const controlled = () => { this.status = 'ready'; this.resolveControlled(); };
    if (sw.controller) controlled();
    else sw.addEventListener('controllerchange', controlled, { once: true });
    sw.register(new URL('./sw.js', document.baseURI), { scope: './' }).catch(() => { this.status = 'failed'; });
  }

  /** Waits for the service worker to take this page, at most `ms` (a first visit); at once where there is none. */
  async settled(ms: number): Promise<void> {
    if (this.status !== 'saving') return;
    await Promise.race([this.controlled, new Promise((r) => setTimeout(r, ms))]);
  }
}

export const offline = new Offline();
