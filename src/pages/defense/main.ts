// Entry of the defense lab (defense.html). Training runs in the engine worker.
import { mountPage } from '../../ui/mount-page.ts';
import DefensePage from './DefensePage.svelte';

mountPage(DefensePage, 'defense.html');
