// Entry of the benchmark (benchmark.html). The grid runs in the engine worker.
import { mountPage } from '../../ui/mount-page.ts';
import BenchmarkPage from './BenchmarkPage.svelte';

mountPage(BenchmarkPage, 'benchmark.html');
