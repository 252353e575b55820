// TeX to MathML at build time, with MathJax 3 (mathjax-full, pinned in
// package.json). Reads a JSON list of [tex, display] pairs on stdin and writes
// the JSON list of their MathML. A formula MathJax cannot parse stops the
// build with its message. Used by _ext/light_site.py.
const {mathjax} = require("mathjax-full/js/mathjax.js");
const {TeX} = require("mathjax-full/js/input/tex.js");
const {liteAdaptor} = require("mathjax-full/js/adaptors/liteAdaptor.js");
const {RegisterHTMLHandler} = require("mathjax-full/js/handlers/html.js");
const {SerializedMmlVisitor} = require("mathjax-full/js/core/MmlTree/SerializedMmlVisitor.js");
const {STATE} = require("mathjax-full/js/core/MathItem.js");
require("mathjax-full/js/input/tex/base/BaseConfiguration.js");
require("mathjax-full/js/input/tex/ams/AmsConfiguration.js");

RegisterHTMLHandler(liteAdaptor());
const tex = new TeX({packages: ["base", "ams"], formatError: (jax, err) => { throw err; }});
const html = mathjax.document("", {InputJax: tex});
const visitor = new SerializedMmlVisitor();

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const out = JSON.parse(input).map(([source, display]) => {
    try {
      const node = html.convert(source, {display, end: STATE.CONVERT});
      return visitor.visitTree(node);
    } catch (err) {
      process.stderr.write(`TeX error in ${JSON.stringify(source)}: ${err.message}\n`);
      process.exit(1);
    }
  });
  process.stdout.write(JSON.stringify(out));
});
