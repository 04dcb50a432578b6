// <inversion-playground attack="gmi" target="target-trap-mid" steps="100" seed="1">: the compact attack view as a
// custom element, for a blog post that includes this one module. Each element is a Svelte app in its own shadow
// root (no style leaks in or out); all the elements of a page share one engine worker. The worker, the models and
// the data are found relative to this module's own URL: it lives in the built site's embed/ folder, one level
// below the site root, whatever path the site is served from.
import { mount, unmount } from 'svelte';
import themeCss from '../ui/theme.css?inline';
import EmbedView from '../pages/embed/EmbedView.svelte';
import { attributesToSearch } from './attributes.ts';
import { sharedWorker } from './shared-engine.ts';

// The module's folder's parent: the site root (the comment tells Vite this is no asset to bundle).
const SITE_URL = new URL(/* @vite-ignore */ '../', import.meta.url).href;
const engine = sharedWorker(SITE_URL);

// The site's theme targets the page (:root); here it styles the element's own box. `all: initial` first, so the host
// page's inherited styles (font, colour, line height, alignment) stop at the element.
const SHADOW_CSS = `:host { all: initial; display: block; }\n:host([hidden]) { display: none; }\n${themeCss.replaceAll(':root', ':host')}`;

export class InversionPlaygroundElement extends HTMLElement {
  private app?: ReturnType<typeof mount>;

  connectedCallback(): void {
    if (this.app) return;
    const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    root.replaceChildren(Object.assign(document.createElement('style'), { textContent: SHADOW_CSS }));
    this.app = mount(EmbedView, {
      target: root,
      props: { search: attributesToSearch(this.attributes), siteUrl: SITE_URL, settingsFrom: 'attributes', host: { engine, syncUrl: false } },
    });
  }

  disconnectedCallback(): void {
    if (!this.app) return;
    // Stops this element's run and lets go of the shared worker (the last one out stops it).
    void unmount(this.app);
    this.app = undefined;
  }
}

if (!customElements.get('inversion-playground')) customElements.define('inversion-playground', InversionPlaygroundElement);
