// The code sheet's Print button (no inline script: the pages' CSP forbids it).
(function () {
  "use strict";
  var b = document.getElementById("print");
  if (b) { b.addEventListener("click", function () { window.print(); }); }
})();
