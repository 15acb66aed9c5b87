// Progressive enhancement of the server-rendered pages: everything works without it.
// - autosave of forms (PUT to the API with the CSRF token), "Enregistré à HH:MM", totals and estimate refreshed;
// - idle logout: a warning one minute before the 30-minute limit, then back to the login page.
"use strict";
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]');
  const IDLE_LIMIT_MS = 30 * 60 * 1000, WARNING_MS = 60 * 1000;
  let lastActivity = Date.now();

  function api(method, url, body) {
    return fetch(url, {
      method: method, credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf ? csrf.content : ""},
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }

  // --- idle logout ---------------------------------------------------------------------------------------------
  if (document.body.dataset.session === "active") {
    const dialog = document.getElementById("expiration");
    const stay = document.getElementById("rester-connecte");
    const touch = function () { lastActivity = Date.now(); };
    ["keydown", "mousedown", "touchstart"].forEach(function (e) { document.addEventListener(e, touch, {passive: true}); });
    if (stay) stay.addEventListener("click", function () {
      api("POST", "/api/v1/auth/refresh").then(function () { touch(); dialog.close(); });
    });
    setInterval(function () {
      const idle = Date.now() - lastActivity;
      if (idle >= IDLE_LIMIT_MS) { window.location.href = "/connexion?expiree=1"; }
      else if (idle >= IDLE_LIMIT_MS - WARNING_MS && dialog && !dialog.open) { dialog.showModal(); stay.focus(); }
    }, 5000);
  }

  // --- the focused field never under the sticky save bar (WCAG 2.2 SC 2.4.11) ---------------------------------
  // The stylesheet's scroll-padding leaves room for a bar of one or two lines; here the room follows the bar's real
  // height (its status text changes), and a field already in view but partly under the bar is scrolled above it.
  const bar = document.querySelector(".barre-enregistrement");
  if (bar) {
    const room = function () { document.documentElement.style.scrollPaddingBottom = (bar.offsetHeight + 8) + "px"; };
    room();
    if (window.ResizeObserver) new ResizeObserver(room).observe(bar);
    document.addEventListener("focusin", function (event) {
      if (bar.contains(event.target)) return;
      window.requestAnimationFrame(function () {
        const hidden = event.target.getBoundingClientRect().bottom - bar.getBoundingClientRect().top;
        if (hidden > 0) window.scrollBy(0, hidden + 8);
      });
    });
  }

  // --- autosave ------------------------------------------------------------------------------------------------
  const form = document.querySelector("form[data-autosave]");
  if (!form) return;
  const status = document.getElementById("statut-enregistrement");
  const versionInput = form.querySelector('input[name="version"]');
  let timer = null, saving = false, pending = false;

  function values() {
    const out = {};
    form.querySelectorAll("[data-champ]").forEach(function (input) {
      if (input.type === "checkbox") { out[input.name] = input.checked; }
      else if (input.tagName === "SELECT") { if (input.value !== "") out[input.name] = input.value === "oui"; }
      else { out[input.name] = input.value; }
    });
    return out;
  }

  function showErrors(detail) {
    form.querySelectorAll(".erreur-champ[data-pour]").forEach(function (e) { e.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
    (detail || []).forEach(function (error) {
      const field = error.loc[error.loc.length - 1];
      const input = form.querySelector('[name="' + field + '"]');
      const slot = form.querySelector('.erreur-champ[data-pour="' + field + '"]');
      if (input) input.setAttribute("aria-invalid", "true");
      if (slot) slot.textContent = error.msg;
    });
  }

  // A computed figure none of whose inputs has a value is « — », not 0 (same rule as the page, see figures.py)
  function anyTyped(output) {
    const inputs = (output.dataset.entrees || "").split(" ").filter(Boolean);
    return inputs.length === 0 || inputs.some(function (name) {
      const input = form.querySelector('[name="' + name + '"]');
      return input && input.value.trim() !== "";
    });
  }

  function showSaved(body) {
    versionInput.value = body.version;
    status.textContent = "Enregistré à " + body.enregistre_a;
    Object.keys(body.valeurs).forEach(function (key) {
      const output = form.querySelector('output[data-calcule="' + key + '"]');
      if (output) output.textContent = body.valeurs[key] === null || !anyTyped(output) ? "—" : Number(body.valeurs[key]).toLocaleString("fr-FR");
    });
    const estimate = document.getElementById("estimation-montant");
    if (estimate && body.estimation) {
      estimate.textContent = body.estimation.disponible
        ? Number(body.estimation.montant).toLocaleString("fr-FR", {style: "currency", currency: "EUR"})
        : body.estimation.message;
      showEstimateWarnings(body.estimation);
    }
  }

  // A partial estimate is never titled as the prestation; its warnings (plain French) follow each save.
  function showEstimateWarnings(estimation) {
    const available = Boolean(estimation.disponible);
    const title = document.getElementById("estimation-titre");
    if (title && title.dataset.libelle) {
      const partial = available && (estimation.partielle || (estimation.parties_non_calculees || []).length > 0);
      title.textContent = partial ? title.dataset.libellePartiel : title.dataset.libelle;
    }
    const list = document.getElementById("estimation-avertissements");
    if (list) {
      const warnings = available ? (estimation.avertissements || []) : [];
      list.replaceChildren.apply(list, warnings.map(function (text) {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      }));
      list.hidden = warnings.length === 0;
    }
  }

  function save() {
    if (saving) { pending = true; return; }
    saving = true;
    status.textContent = "Enregistrement en cours…";
    api("PUT", form.dataset.autosave, {version: Number(versionInput.value), valeurs: values()})
      .then(function (response) {
        return response.json().then(function (body) { return {response: response, body: body}; });
      })
      .then(function (r) {
        if (r.response.ok) { showErrors([]); showSaved(r.body); }
        else if (r.response.status === 422) { showErrors(r.body.detail); status.textContent = "Non enregistré : corrigez les champs signalés."; }
        else { status.textContent = "Non enregistré : " + (r.body.detail || "erreur") ; }
      })
      .catch(function () { status.textContent = "Non enregistré : connexion perdue. Vos saisies restent sur cette page."; })
      .finally(function () { saving = false; if (pending) { pending = false; save(); } });
  }

  form.addEventListener("input", function () {
    status.textContent = "Modifications non enregistrées";
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  });
})();
