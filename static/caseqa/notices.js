// The header's reminder count, fetched after the page loads so no page waits for it.
document.addEventListener("DOMContentLoaded", () => {
  const link = document.querySelector("[data-notice-count-url]");
  if (!link) return;
  fetch(link.dataset.noticeCountUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
    .then((response) => (response.ok ? response.json() : null))
    .then((data) => {
      if (!data || !data.count) return;
      const badge = link.querySelector("[data-notice-count]");
      badge.textContent = String(data.count);
      link.setAttribute("aria-label", `${link.firstChild.textContent.trim()} ${data.count}`);
      link.dataset.count = String(data.count);
    })
    .catch(() => {});
});
