// Entry of the guided tour (index.html): five steps with live attacks, all in one engine worker.
import { mountPage } from '../../ui/mount-page.ts';
import TourPage from './TourPage.svelte';

mountPage(TourPage, 'index.html');
