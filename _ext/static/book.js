// A box that scrolls sideways (a wide formula, table, figure or code line)
// can be reached with the keyboard and scrolled with the arrow keys: it gets
// a tab stop while, and only while, it has something to scroll.
(() => {
  const boxes = "div.math, div.output.text_html, div.cell_output, div.highlight pre, " +
                ".pst-scrollable-table-container";
  const update = () => {
    document.querySelectorAll(boxes).forEach((box) => {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute("tabindex", "0");
      } else if (box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
      }
    });
  };
  let pending = null;
  document.addEventListener("DOMContentLoaded", update);
  window.addEventListener("resize", () => {
    clearTimeout(pending);
    pending = setTimeout(update, 200);
  });
})();
