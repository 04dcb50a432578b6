// Entry of the embeddable attack view (embed.html): no site chrome, for an <iframe> in someone else's page.
import { mountPage } from '../../ui/mount-page.ts';
import EmbedPage from './EmbedPage.svelte';

mountPage(EmbedPage, 'embed.html');
