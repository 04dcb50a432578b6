// Entry of the attack lab page (attack.html).
import { mountPage } from '../../ui/mount-page.ts';
import AttackPage from './AttackPage.svelte';

mountPage(AttackPage, 'attack.html');
