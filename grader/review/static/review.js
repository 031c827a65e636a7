// Keyboard-first grading: digits type the points, Enter saves and moves on, j/k walk, c and Esc the comment.
(function () {
  "use strict";
  var form = document.getElementById("grade-form");
  if (!form) { return; }
  var points = document.getElementById("points");
  var comment = document.getElementById("comment");
  var fresh = true; // the first digit typed replaces the points shown

  function go(id) {
    var link = document.getElementById(id);
    if (link) { window.location.href = link.href; }
  }

  function submit() {
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  document.querySelectorAll("button.rubric-comment").forEach(function (button) {
    button.addEventListener("click", function () {
      comment.value = button.dataset.text;
      if (button.dataset.points !== "") { points.value = button.dataset.points; fresh = false; }
    });
  });

  points.addEventListener("input", function () { fresh = false; });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    var inText = target instanceof HTMLTextAreaElement ||
      (target instanceof HTMLInputElement && target !== points);
    if (inText) {
      if (event.key === "Escape") { target.blur(); event.preventDefault(); }
      return;
    }
    var inPoints = target === points;
    if (/^[0-9.]$/.test(event.key)) {
      if (inPoints) { return; }
      points.value = (fresh ? "" : points.value) + event.key;
      fresh = false;
      event.preventDefault();
    } else if (event.key === "Enter") {
      if (target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement) { return; }
      event.preventDefault();
      submit();
    } else if (event.key === "j" || (!inPoints && (event.key === "ArrowRight" || event.key === "ArrowDown"))) {
      event.preventDefault();
      go("next");
    } else if (event.key === "k" || (!inPoints && (event.key === "ArrowLeft" || event.key === "ArrowUp"))) {
      event.preventDefault();
      go("previous");
    } else if (event.key === "c") {
      event.preventDefault();
      comment.focus();
    } else if (event.key === "Escape" && inPoints) {
      points.blur();
    } else if (event.key === "Backspace" && !inPoints) {
      points.value = points.value.slice(0, -1);
      fresh = false;
      event.preventDefault();
    }
  });
})();
