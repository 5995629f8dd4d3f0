// PTD Proactive dashboard: filters, dismiss, "Run scan now" and live
// updates (server-sent events). Vanilla JavaScript, no dependencies. The
// server renders every piece of HTML; this script only swaps in the live
// fragment from /ui/alerts.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var live = document.getElementById("live");
  var filters = document.getElementById("filters");
  var notice = document.getElementById("notice");
  var runScan = document.getElementById("run-scan");
  var liveStatus = document.getElementById("live-status");
  if (!live || !filters) {
    return;
  }

  function say(text) {
    notice.textContent = text;
  }

  function query() {
    var params = new URLSearchParams();
    new FormData(filters).forEach(function (value, key) {
      if (value) {
        params.set(key, value);
      }
    });
    return params.toString();
  }

  function signedOut(resp) {
    if (resp.status === 401) {
      window.location.assign("/login");
      return true;
    }
    return false;
  }

  async function errorText(resp) {
    try {
      var body = await resp.json();
      if (body && body.error) {
        return body.error;
      }
    } catch (e) {
      // not JSON
    }
    return "HTTP " + resp.status;
  }

  // refresh fetches the live fragment; calls made while one runs are
  // folded into one more fetch, so answers never arrive out of order.
  var refreshing = false;
  var again = false;
  // A refresh failure is shown until a refresh succeeds again.
  var refreshFailure = "";
  function refreshError(text) {
    refreshFailure = "The alerts could not be refreshed: " + text;
    say(refreshFailure);
  }
  async function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    try {
      do {
        again = false;
        var q = query();
        var resp = await fetch("/ui/alerts" + (q ? "?" + q : ""), {
          headers: { Accept: "text/html" },
          credentials: "same-origin",
        });
        if (signedOut(resp)) {
          return;
        }
        if (!resp.ok) {
          refreshError(await errorText(resp));
          return;
        }
        var html = await resp.text();
        var hadFocus = live.contains(document.activeElement) ? document.activeElement : null;
        var focusKey = hadFocus && hadFocus.dataset ? hadFocus.dataset.dismiss : null;
        // A live update must not collapse what the reader has opened.
        var opened = Array.from(live.querySelectorAll("li.alert[data-id] details[open]")).map(function (d) {
          return d.closest("li.alert").dataset.id;
        });
        live.innerHTML = html;
        opened.forEach(function (id) {
          var item = live.querySelector('li.alert[data-id="' + CSS.escape(id) + '"] details');
          if (item) {
            item.open = true;
          }
        });
        if (focusKey) {
          var same = live.querySelector('[data-dismiss="' + CSS.escape(focusKey) + '"]');
          if (same) {
            same.focus();
          }
        }
        live.dataset.refreshed = String(Date.now());
        if (refreshFailure && notice.textContent === refreshFailure) {
          say("");
        }
        refreshFailure = "";
      } while (again);
    } catch (e) {
      refreshError(e.message);
    } finally {
      refreshing = false;
    }
  }

  filters.addEventListener("change", function () {
    var q = query();
    window.history.replaceState(null, "", q ? "/?" + q : "/");
    refresh();
  });
  filters.addEventListener("submit", function (ev) {
    ev.preventDefault();
    refresh();
  });

  live.addEventListener("click", async function (ev) {
    var button = ev.target.closest("button[data-dismiss]");
    if (!button) {
      return;
    }
    var id = button.dataset.dismiss;
    var item = button.closest("li.alert");
    var title = item ? item.querySelector(".title").textContent : "the alert";
    button.disabled = true;
    try {
      var resp = await fetch("/api/v1/alerts/" + encodeURIComponent(id) + "/dismiss", {
        method: "POST",
        credentials: "same-origin",
      });
      if (signedOut(resp)) {
        return;
      }
      if (!resp.ok) {
        button.disabled = false;
        say("Could not dismiss " + title + ": " + (await errorText(resp)));
        return;
      }
      var next = item && item.nextElementSibling ? item.nextElementSibling.querySelector("button[data-dismiss]") : null;
      if (item) {
        item.remove();
      }
      say("Dismissed: " + title);
      (next || document.getElementById("alerts-h")).focus();
      refresh();
    } catch (e) {
      button.disabled = false;
      say("Could not dismiss " + title + ": " + e.message);
    }
  });

  if (runScan) {
    runScan.addEventListener("click", async function () {
      runScan.disabled = true;
      say("Scan running…");
      try {
        var resp = await fetch("/api/v1/scan", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ trigger: "dashboard" }),
        });
        if (signedOut(resp)) {
          return;
        }
        var body = await resp.json();
        if (!resp.ok || !body.success) {
          say("The scan failed: " + (body.error || "HTTP " + resp.status));
        } else {
          say("Scan finished in " + body.duration_ms + " ms: " + body.anomalies_detected +
            " anomalies, " + body.alerts_saved + " new alerts.");
        }
      } catch (e) {
        say("The scan failed: " + e.message);
      } finally {
        runScan.disabled = false;
        refresh();
      }
    });
  }

  function setLive(state, text) {
    liveStatus.dataset.state = state;
    liveStatus.textContent = text;
  }

  // The browser reconnects a stream that broke by itself, but gives up on
  // one the server refused (401 once the session expired, 503 from a
  // replica shutting down): then reconnect here, with backoff, and refresh
  // the list, which sends a signed-out browser to the sign-in form.
  var retryDelay = 2000;
  function connect() {
    var events = new EventSource("/api/v1/events");
    events.addEventListener("ready", function () {
      retryDelay = 2000;
      setLive("on", "Live updates: on");
      refresh();
    });
    events.addEventListener("alerts", refresh);
    events.addEventListener("scan", function (ev) {
      var data = {};
      try {
        data = JSON.parse(ev.data);
      } catch (e) {
        // ignore
      }
      if (data.state === "running") {
        live.setAttribute("aria-busy", "true");
      } else {
        live.removeAttribute("aria-busy");
        refresh();
      }
    });
    events.addEventListener("error", function () {
      setLive("reconnecting", "Live updates: reconnecting…");
      if (events.readyState === EventSource.CLOSED) {
        live.removeAttribute("aria-busy");
        refresh();
        window.setTimeout(connect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      }
    });
  }

  if (window.EventSource) {
    setLive("connecting", "Live updates: connecting…");
    connect();
  } else {
    setLive("off", "Live updates are not supported by this browser: reload to see new alerts.");
  }
})();
