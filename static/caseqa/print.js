// Buttons marked data-action="print" open the browser's print dialog (no inline handler: the CSP forbids them).
document.addEventListener("click", (event) => {
  if (event.target.closest('[data-action="print"]')) window.print();
});
