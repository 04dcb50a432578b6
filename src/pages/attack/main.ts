// Entry of the attack lab page (index.html).
import { mountPage } from '../../ui/mount-page.ts';
import AttackPage from './AttackPage.svelte';

mountPage(AttackPage, 'index.html');
