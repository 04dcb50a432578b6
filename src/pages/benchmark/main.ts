// Entry of the benchmark (benchmark.html). The page itself does no tensor work: the grid runs in the engine worker.
import { mount } from 'svelte';
import '../../ui/theme.css';
import BenchmarkPage from './BenchmarkPage.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('benchmark.html has no #app element');
mount(BenchmarkPage, { target });
