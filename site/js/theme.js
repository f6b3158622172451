// Applies the saved or preferred colour theme before first paint (a classic script: CSP allows no inline code).
(function () {
  var saved = null;
  try { saved = localStorage.getItem('llmcalc.theme'); } catch (e) { /* storage blocked */ }
  var dark = saved ? saved === 'dark' : window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.setAttribute('data-theme', dark ? 'dark' : 'light');
})();
