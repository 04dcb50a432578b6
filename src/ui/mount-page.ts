// Starts a page: the shared theme, then the page's root component on its HTML entry's #app element. The page itself
// does no tensor work: the engine runs in a worker.
import { mount, type Component } from 'svelte';
import './theme.css';
import { offline } from './offline.svelte.ts';

export function mountPage(page: Component, entry: string): void {
  const target = document.getElementById('app');
  if (!target) throw new Error(`${entry} has no #app element`);
  offline.register();
  mount(page, { target });
}
