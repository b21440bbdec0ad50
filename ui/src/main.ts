import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import ApplicantScreen from './components/ApplicantScreen.svelte';
import HallDisplay from './components/HallDisplay.svelte';

const target = document.getElementById('app');
if (!target) {
  throw new Error('missing #app');
}

/** The second window (label `applicant`) loads `index.html#applicant`: the applicant's screen. */
const applicant = location.hash === '#applicant';
/** The hall display (label `hall`) loads `index.html#hall`: the 叫号屏 on a hall screen. */
const hall = location.hash === '#hall';
if (applicant) {
  document.title = '一窗 · 办事人确认与评价';
} else if (hall) {
  document.title = '一窗 · 叫号屏';
}

export default applicant
  ? mount(ApplicantScreen, { target })
  : hall
    ? mount(HallDisplay, { target })
    : mount(App, { target });
