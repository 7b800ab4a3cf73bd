// Progressive enhancement only: every page works without it.
// The language menu switches as soon as a language is chosen (the button does it without JS).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]")) { el.form.submit(); }
});
document.documentElement.classList.add("js");
