// A file larger than the server takes is refused here, beside its field, before the form is sent:
// the server cannot read a body past its limit, so every other answer would be lost with it.
(function () {
  "use strict";

  function describe(input, id, on) {
    const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
    if (on) ids.push(id);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  document.addEventListener("change", function (event) {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.dataset.maxBytes) return;
    const limit = Number(input.dataset.maxBytes);
    const tooLarge = Array.from(input.files || []).some((file) => file.size > limit);
    const id = input.id + "-terlalu-besar";
    let note = document.getElementById(id);
    if (!tooLarge) {
      if (note) {
        note.remove();
        describe(input, id, false);
        if (!input.hasAttribute("data-galat-server")) input.removeAttribute("aria-invalid");
      }
      return;
    }
    input.value = "";
    if (!note) {
      note = document.createElement("p");
      note.className = "galat";
      note.id = id;
      note.setAttribute("role", "alert");
      input.before(note);
    }
    note.textContent = input.dataset.tooLarge || "";
    if (input.getAttribute("aria-invalid") === "true") input.setAttribute("data-galat-server", "");
    input.setAttribute("aria-invalid", "true");
    describe(input, id, true);
  });
})();
