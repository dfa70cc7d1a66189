// "Add a row" for Django formsets: a button with data-action="add-row" data-formset="<prefix>" copies
// the <template id="<prefix>-empty-row"> (the formset's empty form) into the <tbody data-formset>,
// numbering it with TOTAL_FORMS, which it then raises by one. No inline handlers (the CSP forbids them).
document.addEventListener("click", (event) => {
  const button = event.target.closest('[data-action="add-row"]');
  if (!button) return;
  const prefix = button.dataset.formset;
  const total = document.querySelector(`input[name="${prefix}-TOTAL_FORMS"]`);
  const template = document.getElementById(`${prefix}-empty-row`);
  const body = document.querySelector(`tbody[data-formset="${prefix}"]`);
  const index = Number(total.value);
  body.insertAdjacentHTML("beforeend", template.innerHTML.replaceAll("__prefix__", String(index)));
  total.value = String(index + 1);
  body.lastElementChild.querySelector("select, input")?.focus();
});
