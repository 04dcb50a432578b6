// Entry of the defense lab (defense.html). The page itself does no tensor work: training runs in the engine worker.
import { mount } from 'svelte';
import '../../ui/theme.css';
import DefensePage from './DefensePage.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('defense.html has no #app element');
mount(DefensePage, { target });
