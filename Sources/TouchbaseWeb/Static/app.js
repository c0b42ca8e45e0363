// Touchbase: keyboard shortcuts for pages that work without this script.
// "/" focuses search; j / k move between items; e edits the selected item; s marks it sent; a approves it;
// c completes a follow-up, x skips it, z snoozes it a day, h marks a reply handled.
(function () {
  "use strict";
  var index = -1;
  function items() { return Array.prototype.slice.call(document.querySelectorAll("[data-item]")); }
  function select(i) {
    var list = items();
    if (!list.length) return;
    index = Math.max(0, Math.min(list.length - 1, i));
    list.forEach(function (el) { el.classList.remove("selected"); });
    list[index].classList.add("selected");
    list[index].scrollIntoView({ block: "nearest" });
  }
  function act(name) {
    var list = items();
    var scope = index >= 0 && list[index] ? list[index] : document;
    var target = scope.querySelector('[data-action="' + name + '"]') || (name === "edit" && scope.querySelector("[data-edit]"));
    if (!target) return false;
    if (target.tagName === "TEXTAREA") target.focus(); else target.click();
    return true;
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) return;
    var key = event.key;
    if (key === "/") { var search = document.querySelector('[data-key="/"]'); if (search) { event.preventDefault(); search.focus(); } }
    else if (key === "j") { select(index + 1); }
    else if (key === "k") { select(index - 1); }
    else if (key === "e") { if (act("edit")) event.preventDefault(); }
    else if (key === "s") { act("sent"); }
    else if (key === "a") { act("approve"); }
    else if (key === "c") { act("complete"); }
    else if (key === "x") { act("skip"); }
    else if (key === "z") { act("snooze"); }
    else if (key === "h") { act("handled"); }
  });
})();
