// <inversion-playground attack="gmi" target="target-trap-mid" steps="100" seed="1">: the compact attack view as a
// custom element, for a blog post that includes this one module. Each element is a Svelte app in its own shadow
// root (no style leaks in or out); all the elements of a page share one engine worker. The worker, the models and
// the data are found relative to this module's own URL: it lives in the built site's embed/ folder, one level
// below the site root, whatever path the site is served from. Its attributes are watched: changing one (from a
// script) restarts the attack on the new settings.
import { flushSync, mount, unmount } from 'svelte';
import themeCss from '../ui/theme.css?inline';
import EmbedView from '../pages/embed/EmbedView.svelte';
import { OBSERVED_ATTRIBUTES, attributesToSearch } from './attributes.ts';
import { sharedWorker } from './shared-engine.ts';

// The module's folder's parent: the site root (the comment tells Vite this is no asset to bundle).
const SITE_URL = new URL(/* @vite-ignore */ '../', import.meta.url).href;
const engine = sharedWorker(SITE_URL);

// The site's theme targets the page (:root); here it styles the element's own box. `all: initial` first, so the host
// page's inherited styles (font, colour, line height, alignment) stop at the element.
const SHADOW_CSS = `:host { all: initial; display: block; }\n:host([hidden]) { display: none; }\n${themeCss.replaceAll(':root', ':host')}`;

export class InversionPlaygroundElement extends HTMLElement {
  /** A change to any of these (a setting's name, or `hide`) restarts the attack on the new settings. */
  static readonly observedAttributes = OBSERVED_ATTRIBUTES;

  private app?: ReturnType<typeof mount>;
  /** The settings the shown view was started from (as a query string). */
  private search = '';
  /** A restart is queued: several attributes set in one go make one restart. */
  private restartQueued = false;

  connectedCallback(): void {
    if (this.app) return;
    const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    root.replaceChildren(Object.assign(document.createElement('style'), { textContent: SHADOW_CSS }));
    this.app = this.mountView(root);
  }

  disconnectedCallback(): void {
    if (!this.app) return;
    // Cancels this element's run and lets go of the shared worker (the last one out stops it).
    void unmount(this.app);
    this.app = undefined;
  }

  attributeChangedCallback(_name: string, before: string | null, after: string | null): void {
    // Before the element is on a page its attributes are read when it arrives (connectedCallback).
    if (!this.app || before === after || this.restartQueued) return;
    this.restartQueued = true;
    queueMicrotask(() => {
      this.restartQueued = false;
      this.restart();
    });
  }

  /**
   * The settings changed: a fresh view on them replaces the shown one, as if the element were new (checked and
   * corrected with the same notice, started once near the viewport). The new view joins the shared worker before the
   * old one lets go of it, so the worker (tfjs, the loaded models) stays; the old view's run is cancelled there.
   */
  private restart(): void {
    const root = this.shadowRoot;
    if (!this.app || !root || attributesToSearch(this.attributes) === this.search) return;
    const old = this.app;
    this.app = this.mountView(root);
    // The new view's onMount (which joins the worker) runs now, not after the old view has let go of it.
    flushSync();
    void unmount(old);
  }

  /** Mounts the compact attack view on the current attributes, at the end of the shadow root. */
  private mountView(root: ShadowRoot): ReturnType<typeof mount> {
    this.search = attributesToSearch(this.attributes);
    return mount(EmbedView, {
      target: root,
      props: { search: this.search, siteUrl: SITE_URL, settingsFrom: 'attributes', host: { engine, syncUrl: false } },
    });
  }
}

if (!customElements.get('inversion-playground')) customElements.define('inversion-playground', InversionPlaygroundElement);
