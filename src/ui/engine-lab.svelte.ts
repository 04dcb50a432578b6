// What a lab page does with the engine worker (Svelte 5 runes in a class): keep its settings in the link, start the
// worker on the asked-for backend, say how that went, keep the page's messages (and the corrections made to its
// link), and start a fresh worker when asked. A page's lab class extends it with its own runs. No tensor work here:
// only the EngineClient.
import { EngineClient, WorkerCrashedError, siteBaseUrl } from './engine-client.ts';
import type { PageMessage } from './page-message.ts';
import { readHidden, withHidden, type HideableControls } from './hide-link.ts';
import type { BackendName, EngineInfo, RememberedTimings, Workload } from '../worker/protocol.ts';
import { rememberTimings, rememberedTimings } from './remembered-timings.ts';
import { offline } from './offline.svelte.ts';

/** How long a first visit waits for the service worker before starting the engine without it. */
const OFFLINE_WAIT_MS = 3000;

export type EngineStatus = 'starting' | 'ready' | 'failed';

export interface LabMessage {
  /** One message per key: a newer one replaces it. */
  key: string;
  kind: 'error' | 'warning' | 'info';
  title: string;
  detail?: string;
  /** Offer to switch to this backend (after a GPU failure). */
  switchTo?: BackendName;
  /** Offer to restart the engine. */
  retry?: boolean;
}

/** How a page's settings live in its link: the config, and only the config, lives there. */
export interface SettingsLink<S> {
  /** The settings a query string asks for, and what was corrected in it. */
  read(search: string): { settings: S; corrections: string[] };
  /** The query string (with its '?', or '' for the defaults). */
  toSearch(settings: S): string;
}

/** A lab's line to the engine worker: its client, the engine's start on a backend, and letting go of it. */
export interface EngineConnection {
  readonly client: EngineClient;
  init(backend: BackendName | undefined, workload?: Workload, remembered?: RememberedTimings[], threads?: number): Promise<EngineInfo>;
  close(): void;
}

/** Opens an EngineConnection; `onCrash` runs once if its worker dies. */
export type EngineSource = (onCrash: (error: WorkerCrashedError) => void) => EngineConnection;

/** A page's own worker, started on the backend its lab asks for, loading the assets from the page's site root. */
export const ownWorker: EngineSource = (onCrash) => {
  const client = new EngineClient(onCrash);
  return {
    client, close: () => client.dispose(),
    init: (backend, workload, remembered, threads) => client.init({ baseUrl: siteBaseUrl(), backend, workload, remembered, ...(threads ? { threads } : {}) }),
  };
};

/** Where a lab runs: a page of the site (the defaults), or embedded in someone else's page. */
export interface LabHost {
  /** Where the engine worker comes from (default: one of the lab's own). */
  engine?: EngineSource;
  /** Keep the settings in the page's address (default true; an embedded element must leave its host page's alone). */
  syncUrl?: boolean;
}

export abstract class EngineLab<S extends { backend?: BackendName; threads?: number }> {
  /** The page's settings (a subclass declares them as $state). */
  abstract settings: S;
  engineStatus = $state<EngineStatus>('starting');
  /** What this page runs most: the engine times it to choose a backend. */
  protected readonly workload: Workload = 'attack';
  info = $state.raw<EngineInfo | null>(null);
  messages = $state<LabMessage[]>([]);
  /** Corrections made to the settings read from the URL (shown once, dismissible). */
  urlCorrections = $state<string[]>([]);
  /** Controls a teacher's link hides (`hide=`): kept in the link, but not settings, since no run depends on them. */
  hidden = $state<string[]>([]);

  protected client?: EngineClient;
  private connection?: EngineConnection;
  private bootToken = 0;
  private readonly engineSource: EngineSource;
  private readonly syncUrl: boolean;
  /** Bumped on each (re)initialisation: replies of an older init are ignored. */
  protected initToken = 0;
  /** Bumped whenever the page's current run is abandoned: progress and replies of older runs are ignored. */
  protected runToken = 0;

  constructor(host: LabHost = {}) {
    this.engineSource = host.engine ?? ownWorker;
    this.syncUrl = host.syncUrl ?? true;
  }

  protected abstract readonly link: SettingsLink<S>;
  /** The controls a teacher's link may hide on this page (none unless the page declares them). */
  protected readonly hideable: HideableControls = { names: [], hint: '' };
  /** The worker died: whatever the page was running is lost (`engineStatus` is already 'failed'; `boot()` starts a fresh one). */
  protected abstract onCrashed(error: WorkerCrashedError): void;
  /** The engine is ready on `info` (called once per successful init, before `initEngine` resolves). */
  protected onReady(_info: EngineInfo): void {}

  /**
   * Reads the settings and the hidden controls from the URL (rewriting it where they were corrected) and starts the
   * worker.
   */
  start(search: string): void {
    const { settings, corrections } = this.link.read(search);
    const hide = readHidden(search, this.hideable);
    this.settings = settings;
    this.hidden = hide.hidden;
    this.urlCorrections = [...corrections, ...hide.corrections];
    if (this.urlCorrections.length) this.writeUrl();
    this.boot();
  }

  /** Whether the page shows a control (a teacher's link did not hide it). */
  shown(control: string): boolean {
    return !this.hidden.includes(control);
  }

  dispose(): void {
    this.bootToken++;
    this.runToken++;
    this.initToken++;
    this.connection?.close();
    this.connection = undefined;
    this.client = undefined;
  }

  /** Applies a settings change and writes the URL. */
  update(patch: Partial<S>): void {
    this.settings = { ...this.settings, ...patch };
    this.writeUrl();
  }

  dismiss(key: string): void {
    if (key === 'url') this.urlCorrections = [];
    else this.messages = this.messages.filter((m) => m.key !== key);
  }

  /**
   * The page's messages for MessageList: link corrections first, then the page's own `notices`, then the rest with
   * their offers as buttons.
   */
  pageMessages(actions: { switchBackend: (b: BackendName) => void; restart: () => void }, notices: PageMessage[] = []): PageMessage[] {
    return [
      ...(this.urlCorrections.length
        ? [{ key: 'url', kind: 'info' as const, title: 'Some settings in the link were invalid and have been corrected', items: this.urlCorrections }]
        : []),
      ...notices,
      ...this.messages.map((m): PageMessage => ({
        key: m.key, kind: m.kind, title: m.title, detail: m.detail,
        actions: [
          ...(m.switchTo ? [{ label: `Switch to ${m.switchTo.toUpperCase()}`, run: () => actions.switchBackend(m.switchTo!), testid: 'switch-backend' }] : []),
          ...(m.retry ? [{ label: 'Restart the engine', run: actions.restart, testid: 'restart-engine' }] : []),
        ],
      })),
    ];
  }

  /**
   * Starts a fresh worker (the old one, if any, is stopped). On a first visit to the built site it first waits, a
   * little, for the service worker to take the page, so that what the engine fetches is kept for offline use.
   */
  protected boot(): void {
    const token = ++this.bootToken;
    if (offline.status !== 'saving') return this.startWorker();
    void offline.settled(OFFLINE_WAIT_MS).then(() => { if (token === this.bootToken) this.startWorker(); });
  }

  private startWorker(): void {
    this.connection?.close();
    const connection = this.engineSource((e) => {
      if (connection !== this.connection) return;
      this.initToken++;
      this.engineStatus = 'failed';
      this.onCrashed(e);
    });
    this.connection = connection;
    this.client = connection.client;
    void this.initEngine();
  }

  /** (Re)initialises the engine on the asked-for backend; resolves true when it is ready. */
  protected async initEngine(): Promise<boolean> {
    const connection = this.connection;
    if (!connection || connection.client.isCrashed) {
      this.boot();
      return false;
    }
    const token = ++this.initToken;
    this.engineStatus = 'starting';
    this.info = null;
    this.dismiss('init');
    try {
      const info = await connection.init(this.settings.backend, this.workload, rememberedTimings(this.workload), this.settings.threads);
      if (token !== this.initToken) return false;
      rememberTimings(this.workload, info);
      this.info = info;
      this.engineStatus = 'ready';
      this.onReady(info);
      return true;
    } catch (e) {
      if (token !== this.initToken || e instanceof WorkerCrashedError) return false;
      this.engineStatus = 'failed';
      this.report({ key: 'init', kind: 'error', title: 'The engine could not start', detail: messageOf(e), retry: true });
      return false;
    }
  }

  protected report(m: LabMessage): void {
    this.messages = [...this.messages.filter((x) => x.key !== m.key), m];
  }

  protected writeUrl(): void {
    if (!this.syncUrl) return;
    history.replaceState(history.state, '', `${location.pathname}${withHidden(this.link.toSearch(this.settings), this.hidden)}${location.hash}`);
  }
}

export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : JSON.stringify(e);
}
