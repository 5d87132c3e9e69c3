/* Tabs (hash routing) and the API token field. */
"use strict";
(() => {
  const views = { forecast: ForecastView, customers: CustomersView, experiment: ExperimentView };
  const tokenInput = document.getElementById("token");
  const state = document.getElementById("token-state");
  function showState() { state.textContent = Brain.token() ? "token set for this tab" : ""; }
  tokenInput.value = Brain.token();
  showState();
  document.getElementById("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    Brain.setToken(tokenInput.value.trim());
    showState();
    Object.values(views).forEach((v) => v.reset());
    route();
  });
  function route() {
    const name = (location.hash || "#forecast").slice(1);
    const current = views[name] ? name : "forecast";
    for (const key of Object.keys(views)) document.getElementById("view-" + key).hidden = key !== current;
    document.querySelectorAll(".tabs a").forEach((a) => a.classList.toggle("active", a.dataset.view === current));
    views[current].show();
  }
  window.addEventListener("hashchange", route);
  document.getElementById("footer").textContent =
    "Marketing Brain · API at " + Brain.ROOT.href + " (OpenAPI: " + new URL("docs.json", Brain.ROOT).href + ")";
  route();
})();
