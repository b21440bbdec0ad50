import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import ApplicantScreen from './components/ApplicantScreen.svelte';

const target = document.getElementById('app');
if (!target) {
  throw new Error('missing #app');
}

/** The second window (label `applicant`) loads `index.html#applicant`: the applicant's screen. */
const applicant = location.hash === '#applicant';
if (applicant) {
  document.title = '一窗 · 办事人确认与评价';
}

export default applicant ? mount(ApplicantScreen, { target }) : mount(App, { target });
