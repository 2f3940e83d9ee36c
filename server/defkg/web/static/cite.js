// "Cite this": a button copies the citation next to it (no inline script: the site's CSP).
"use strict";
// the buttons are hidden in the HTML: without this script they could not copy anything
for (const button of document.querySelectorAll("button.copy[hidden]")) button.hidden = false;
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = source.textContent;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) {
    // no clipboard permission (an old browser, a page not served over https): select the
    // text so that Ctrl+C copies it, and copy with the older command where it still works
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    document.execCommand("copy");
  }
  button.dataset.copied = text;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 2000);
});
