// Search results quote the page's text; a formula there is TeX source until
// MathJax typesets it ("\(H(p, q) = -\sum_k p_k \log q_k\)"). Before Sphinx's
// search takes a snippet from a page, each formula becomes plain text:
// "H(p, q) = −Σ_k p_k log q_k". (Loaded on every page; acts on the search page.)
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Search === "undefined" || !Search.htmlToText) return;
  const symbols = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", Delta: "Δ", epsilon: "ε",
    varepsilon: "ε", eta: "η", theta: "θ", lambda: "λ", mu: "μ", pi: "π",
    sigma: "σ", sum: "Σ", prod: "Π", nabla: "∇", partial: "∂", infty: "∞",
    approx: "≈", ne: "≠", le: "≤", ge: "≥", cdot: "·", times: "×", to: "→",
    in: "∈", pm: "±", ell: "ℓ", odot: "⊙", sim: "∼", mid: "|", log: "log",
    ln: "ln", exp: "exp", max: "max", min: "min", lim: "lim", tanh: "tanh",
    top: "ᵀ", leftarrow: "←", Longrightarrow: "⟹", lVert: "‖", rVert: "‖",
    Vert: "‖", lvert: "|", rvert: "|", succeq: "⪰", dots: "…",
  };
  const plain = (tex) => tex
    .replace(/^\s*(\\\(|\\\[|\$\$)|(\\\)|\\\]|\$\$)\s*$/g, "")
    .replace(/\\t?frac\{([^{}]*)\}\{([^{}]*)\}/g, "($1)/($2)")
    .replace(/\\(?:text|mathrm|operatorname|mathbf|mathbb|mathcal|hat|tilde)\{([^{}]*)\}/g, "$1")
    .replace(/\\([A-Za-z]+)/g, (_, name) => symbols[name] ?? "")
    .replace(/\\./g, " ")
    .replace(/[{}&]/g, "")
    .replace(/-/g, "−")
    .replace(/\s+/g, " ")
    .trim();
  const original = Search.htmlToText;
  Search.htmlToText = (htmlString, anchor) => {
    const page = new DOMParser().parseFromString(htmlString, "text/html");
    page.querySelectorAll(".math").forEach((m) => { m.textContent = plain(m.textContent); });
    return original(page.documentElement.outerHTML, anchor);
  };
});
