// Entry of the benchmark page (bench.html). The page itself does no tensor work: the engine runs in a worker.
import { mount } from 'svelte';
import '../../ui/theme.css';
import BenchPage from './BenchPage.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('bench.html has no #app element');
mount(BenchPage, { target });
