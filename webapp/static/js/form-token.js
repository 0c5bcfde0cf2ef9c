// The filing form's one-time token goes into the page's address (?formulir=...), so that Back, which
// may fetch the page again, brings the same token back: sending the form a second time is then
// answered with the case it already filed, not a second case. Without this script the form still
// works; Back then gets a fresh token and the likely-duplicate warning is what catches a resend.
(function () {
  "use strict";
  var field = document.querySelector('input[name="form_token"][data-address]');
  if (!field || !window.history || !window.history.replaceState || !window.URL) {
    return;
  }
  var url = new URL(window.location.href);
  if (url.searchParams.get("formulir") !== field.value) {
    url.searchParams.set("formulir", field.value);
    window.history.replaceState(window.history.state, "", url.toString());
  }
})();
