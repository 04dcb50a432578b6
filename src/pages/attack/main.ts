// Entry of the attack lab page (index.html). The page itself does no tensor work: the engine runs in a worker.
import { mount } from 'svelte';
import '../../ui/theme.css';
import AttackPage from './AttackPage.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
mount(AttackPage, { target });
