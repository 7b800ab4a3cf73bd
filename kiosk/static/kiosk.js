// The customer screens work without this file (the insert screen refreshes itself every 2 s).
// With it, the note counts update in place twice a second and the screen follows the payment flow
// (walk-away, receipt, out of service) without a full reload. Our own 30 lines instead of htmx:
// one polling fragment is all the screens need, and the kiosk must not depend on a CDN.
(function () {
  var box = document.querySelector("[data-poll]");
  if (!box) { return; }
  var here = document.body.getAttribute("data-page");
  document.documentElement.classList.add("js");
  function tick() {
    var req = new XMLHttpRequest();
    req.open("GET", box.getAttribute("data-poll"));
    req.onload = function () {
      if (req.status !== 200) { return; }
      var go = req.getResponseHeader("X-Kiosk-Page");
      if (go && go !== here) { window.location.replace(go); return; }
      box.innerHTML = req.responseText;
    };
    req.send();
  }
  setInterval(tick, 500);
})();
