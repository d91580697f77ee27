"use strict";
// Filter the drug summary by action; print. No network, no external code.
(function () {
  var chips = document.querySelectorAll("[data-filter]");
  var rows = document.querySelectorAll("#drug-summary tbody tr");
  function apply(filter) {
    for (var i = 0; i < rows.length; i++) {
      var show = filter === "all" || rows[i].getAttribute("data-action") === filter ||
        (filter === "actionable" && ["avoid", "adjust", "caution", "consider"].indexOf(rows[i].getAttribute("data-action")) >= 0);
      rows[i].classList.toggle("filtered-out", !show);
    }
    for (var j = 0; j < chips.length; j++) {
      chips[j].setAttribute("aria-pressed", chips[j].getAttribute("data-filter") === filter ? "true" : "false");
    }
  }
  for (var k = 0; k < chips.length; k++) {
    chips[k].addEventListener("click", function (ev) { apply(ev.currentTarget.getAttribute("data-filter")); });
  }
  var printButton = document.getElementById("print");
  if (printButton) { printButton.addEventListener("click", function () { window.print(); }); }
})();
