/* The site's only script. Everything works without it; it adds two things for people who use a
   screen reader or a keyboard:
   1. After a form is sent, focus goes to what happened: the error summary, else the message, else
      (after a redirect) the page's heading (WCAG 2.4.3, 3.3.1, 4.1.3).
   2. Shortly before an idle session ends, a warning with a "Continue session" button that extends
      the session without leaving the page, so nothing typed is lost (WCAG 2.2.1). */
(function () {
  "use strict";

  function focusOn(element) {
    if (!element) {
      return;
    }
    if (!element.hasAttribute("tabindex")) {
      element.setAttribute("tabindex", "-1");
    }
    element.focus();
  }

  function moveFocus() {
    // A link to a place in the page, or someone already typing, wins.
    if (window.location.hash || (document.activeElement && document.activeElement !== document.body &&
        !document.activeElement.classList.contains("error-summary"))) {
      return;
    }
    var summary = document.querySelector("main .error-summary");
    if (summary) {
      focusOn(summary);
      return;
    }
    var messages = document.getElementById("messages");
    if (messages && messages.querySelector("li")) {
      focusOn(messages);
      return;
    }
    var entries = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
    if (entries.length && entries[0].type === "navigate" && entries[0].redirectCount > 0) {
      focusOn(document.querySelector("main h1"));
    }
  }

  function sessionWarning() {
    var timer = document.getElementById("session-timer");
    var warning = document.getElementById("session-warning");
    if (!timer || !warning) {
      return;
    }
    var warnBefore = Number(timer.getAttribute("data-warning-seconds")) * 1000;
    var endsAt = Date.now() + Number(timer.getAttribute("data-seconds-left")) * 1000;
    var handle = null;
    // Where the person was before they went to the warning: they go back there after continuing.
    var returnFocusTo = null;
    document.addEventListener("focusin", function (event) {
      if (!warning.contains(event.target)) {
        returnFocusTo = event.target;
      }
    });

    function show(ended) {
      warning.hidden = false;
      warning.querySelector("[data-session-warning]").hidden = ended;
      warning.querySelector("[data-session-ended]").hidden = !ended;
      warning.querySelector("form").hidden = ended;
    }

    function schedule() {
      window.clearTimeout(handle);
      var left = endsAt - Date.now();
      if (left <= 0) {
        show(true);
        return;
      }
      if (left <= warnBefore) {
        show(false);
        handle = window.setTimeout(schedule, left);
        return;
      }
      warning.hidden = true;
      handle = window.setTimeout(schedule, left - warnBefore);
    }

    function extended(data) {
      endsAt = Date.now() + data.seconds_left * 1000;
      var times = document.querySelectorAll("[data-session-time]");
      for (var i = 0; i < times.length; i++) {
        times[i].textContent = data.time;
      }
      var wasShown = !warning.hidden;
      schedule();
      if (wasShown && returnFocusTo && document.body.contains(returnFocusTo)) {
        returnFocusTo.focus();
      }
    }

    var forms = document.querySelectorAll("form[data-session-continue]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", function (event) {
        var form = event.currentTarget;
        if (!window.fetch || !window.FormData) {
          return;  // the ordinary post and redirect
        }
        event.preventDefault();
        fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: {"Accept": "application/json"}
        }).then(function (response) {
          if (response.status === 401) {
            return null;  // the session has already ended
          }
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        }).then(function (data) {
          if (data) {
            extended(data);
          } else {
            show(true);
          }
        }).catch(function () {
          form.submit();  // signed out meanwhile, or offline: let the server answer
        });
      });
    }
    schedule();
  }

  // Drafts as one types (a review comment): the words are kept in this tab's sessionStorage until
  // the form has been sent, so a closed tab, a lost connection or a session that ran out loses
  // nothing. Without script the form still works; the server keeps every word of a failed submit.
  function autosave() {
    document.querySelectorAll("[data-autosave]").forEach(function (marker) {
      var form = marker.form;
      if (!form || !window.sessionStorage) {
        return;
      }
      var key = "autosave:" + window.location.pathname + ":" + marker.getAttribute("data-autosave");
      var fields = form.querySelectorAll("input[type=text], textarea");
      var stored = null;
      try {
        if (sessionStorage.getItem(key + ":sent") && document.querySelector("#messages li, .error-summary")) {
          // The server answered the submit: it saved the words or shows them again.
          sessionStorage.removeItem(key);
          sessionStorage.removeItem(key + ":sent");
        }
        stored = JSON.parse(sessionStorage.getItem(key) || "null");
      } catch (e) {
        stored = null;
      }
      if (stored) {
        fields.forEach(function (field) {
          if (!field.value && stored[field.name]) {
            field.value = stored[field.name];
          }
        });
      }
      form.addEventListener("input", function () {
        var values = {};
        fields.forEach(function (field) {
          values[field.name] = field.value;
        });
        try {
          sessionStorage.setItem(key, JSON.stringify(values));
        } catch (e) { /* storage full or off: the form still works */ }
      });
      form.addEventListener("submit", function () {
        try {
          sessionStorage.setItem(key + ":sent", "1");
        } catch (e) { /* ignore */ }
      });
    });
  }

  function start() {
    moveFocus();
    sessionWarning();
    autosave();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
