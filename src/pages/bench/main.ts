// Entry of the benchmark page (bench.html).
import { mountPage } from '../../ui/mount-page.ts';
import BenchPage from './BenchPage.svelte';

mountPage(BenchPage, 'bench.html');
