// PTD Proactive dashboard: filters and search, case actions with undo,
// dismiss, silences, retries, sortable tables, "Run scan now" and live
// updates (server-sent events). Vanilla JavaScript, no dependencies. The
// server renders every piece of HTML; this script only calls the API and
// swaps in the page's live fragment (its #live element names the URL).
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var live = document.getElementById("live");
  var filters = document.getElementById("filters");
  var notice = document.getElementById("notice");
  var runScan = document.getElementById("run-scan");
  var liveStatus = document.getElementById("live-status");
  var serverNow = new Date(document.body.dataset.now || Date.now());

  // say shows a message in the toast (a live region, fixed at the bottom of
  // the window, so it is seen wherever the action was taken). undo, when
  // given, is {label, run} and shows an Undo button.
  var toastTimer = 0;
  function say(text, undo) {
    window.clearTimeout(toastTimer);
    notice.textContent = "";
    if (!text) {
      return;
    }
    var msg = document.createElement("span");
    msg.className = "toast-text";
    msg.textContent = text;
    notice.appendChild(msg);
    if (undo) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "btn small undo";
      b.textContent = undo.label || "Undo";
      b.addEventListener("click", function () {
        b.disabled = true;
        undo.run();
      });
      notice.appendChild(b);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn small close";
    close.setAttribute("aria-label", "Close the message");
    close.textContent = "×";
    close.addEventListener("click", function () {
      say("");
    });
    notice.appendChild(close);
    toastTimer = window.setTimeout(function () {
      if (!notice.contains(document.activeElement)) {
        say("");
      }
    }, undo ? 15000 : 10000);
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

  // api sends a JSON request; it answers the decoded body, or throws an
  // Error with the server's message.
  async function api(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    var resp = await fetch(path, opts);
    if (signedOut(resp)) {
      throw new Error("signed out");
    }
    if (!resp.ok) {
      throw new Error(await errorText(resp));
    }
    return resp.json();
  }

  function query() {
    var params = new URLSearchParams();
    if (!filters) {
      return "";
    }
    new FormData(filters).forEach(function (value, key) {
      if (value) {
        params.set(key, value);
      }
    });
    return params.toString();
  }

  // refresh fetches the live fragment; calls made while one runs are
  // folded into one more fetch, so answers never arrive out of order. A
  // page without one (the client page) updates the acted-on case in place.
  var refreshing = false;
  var again = false;
  var refreshFailure = "";
  function refreshError(text) {
    refreshFailure = "The page could not be refreshed: " + text;
    say(refreshFailure);
  }
  async function refresh() {
    if (!live) {
      return;
    }
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = true;
    try {
      do {
        again = false;
        var q = query();
        var resp = await fetch(live.dataset.fragment + (q ? "?" + q : ""), {
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
        var active = document.activeElement;
        var focusSel = null;
        if (active && live.contains(active)) {
          var holder = active.closest("[data-id]");
          var attr = ["data-dismiss", "data-act", "data-silence"].find(function (a) {
            return active.hasAttribute(a);
          });
          if (holder && attr) {
            focusSel = '[data-id="' + CSS.escape(holder.dataset.id) + '"] [' + attr + '="' + CSS.escape(active.getAttribute(attr)) + '"]';
          } else if (attr) {
            focusSel = "[" + attr + '="' + CSS.escape(active.getAttribute(attr)) + '"]';
          }
        }
        // A live update must not collapse what the reader has opened.
        var opened = Array.from(live.querySelectorAll("[data-id] details[open]")).map(function (d) {
          var h = d.closest("[data-id]");
          return '[data-id="' + CSS.escape(h.dataset.id) + '"] details.' + (d.className || "x").split(" ")[0];
        });
        var openedPlain = Array.from(live.querySelectorAll("li.alert[data-id] > article > details[open]")).map(function (d) {
          return d.closest("li.alert").dataset.id;
        });
        // Nor lose what the reader is typing (an owner, a note, a date).
        var typed = Array.from(live.querySelectorAll("input[id]")).filter(function (el) {
          return el.value !== el.defaultValue;
        }).map(function (el) {
          return [el.id, el.value];
        });
        var focusID = active && live.contains(active) && active.id && active.tagName === "INPUT" ? active.id : "";
        live.innerHTML = html;
        typed.forEach(function (kv) {
          var el = document.getElementById(kv[0]);
          if (el) {
            el.value = kv[1];
          }
        });
        opened.forEach(function (sel) {
          var d = live.querySelector(sel);
          if (d) {
            d.dataset.restored = "1"; // not a reader's opening: see the toggle handler
            d.open = true;
          }
        });
        openedPlain.forEach(function (id) {
          var d = live.querySelector('li.alert[data-id="' + CSS.escape(id) + '"] > article > details');
          if (d) {
            d.open = true;
          }
        });
        if (focusID && document.getElementById(focusID)) {
          document.getElementById(focusID).focus();
        }
        if (focusSel) {
          var same = live.querySelector(focusSel);
          if (same && !same.disabled) {
            same.focus();
          }
        }
        prepare(live);
        live.dataset.refreshed = String(Date.now());
        if (refreshFailure && notice.textContent.indexOf(refreshFailure) === 0) {
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

  // prepare sets up freshly rendered HTML: date pickers start tomorrow
  // (server time).
  function prepare(root) {
    root.querySelectorAll("input.snooze-date").forEach(function (el) {
      el.min = document.body.dataset.tomorrow || "";
    });
  }
  prepare(document);

  if (filters && live) {
    var path = filters.getAttribute("action") || "/";
    filters.addEventListener("change", function () {
      var q = query();
      window.history.replaceState(null, "", q ? path + "?" + q : path);
      refresh();
    });
    filters.addEventListener("submit", function (ev) {
      ev.preventDefault();
      refresh();
    });
    var search = document.getElementById("f-search");
    if (search) {
      var searchTimer = 0;
      search.addEventListener("input", function () {
        window.clearTimeout(searchTimer);
        searchTimer = window.setTimeout(function () {
          filters.dispatchEvent(new Event("change"));
        }, 250);
      });
    }
  }

  // Case actions (risk list, client page). Each answers with a toast; its
  // Undo runs the inverse action the desk has, or the toast says there is
  // none.
  function caseOf(el) {
    var row = el.closest("[data-id]");
    return row && {
      id: row.dataset.id,
      key: row.dataset.key,
      type: row.dataset.type,
      label: row.dataset.label,
      state: row.dataset.state,
      owner: row.dataset.owner,
      snoozedUntil: row.dataset.snoozedUntil,
      row: row,
    };
  }

  function act(c, kind, body) {
    return api("POST", "/api/v1/cases/" + encodeURIComponent(c.id) + "/" + kind, body || {});
  }

  function fmtDate(iso) {
    var d = new Date(iso);
    return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  // undoFor returns the inverse of an action on a case that was in state
  // c.state before it, or a sentence saying why there is none.
  function undoFor(c, kind) {
    var future = c.snoozedUntil && new Date(c.snoozedUntil) > serverNow;
    var back = function (label, k, body, done) {
      return {
        undo: {
          label: label,
          run: async function () {
            try {
              await act(c, k, body);
              say(done);
            } catch (e) {
              say("Could not undo: " + e.message);
            }
            refresh();
          },
        },
      };
    };
    switch (kind) {
      case "ack":
        if (c.state === "snoozed" && future) {
          return back("Undo", "snooze", { until: c.snoozedUntil }, "Snoozed again until " + fmtDate(c.snoozedUntil) + ": " + c.label);
        }
        return { note: "No undo: the desk has no un-acknowledge; an escalation above this severity reopens it." };
      case "snooze":
        if (c.state === "acknowledged") {
          return back("Undo", "ack", {}, "Acknowledged again: " + c.label);
        }
        if (c.state === "snoozed" && future) {
          return back("Undo", "snooze", { until: c.snoozedUntil }, "Snoozed until " + fmtDate(c.snoozedUntil) + " again: " + c.label);
        }
        return { note: "No undo: the desk has no un-snooze; it wakes by itself at the end or on an escalation." };
      case "assign":
        if (c.owner) {
          return back("Undo", "assign", { owner: c.owner }, "Assigned back to " + c.owner + ": " + c.label);
        }
        return { note: "No undo: an owner can be changed but not cleared." };
      case "resolve":
        return { note: "No undo: a resolved case stays resolved; if the risk is still there, the next scan opens a new case." };
      case "comment":
        return { note: "No undo: the history keeps every comment." };
    }
    return {};
  }

  var actionNames = { ack: "Acknowledged", snooze: "Snoozed", assign: "Assigned", comment: "Commented on", resolve: "Resolved" };

  async function caseAction(button) {
    var c = caseOf(button);
    if (!c) {
      return;
    }
    var kind = button.dataset.act;
    var body = {};
    if (kind === "snooze") {
      body["for"] = button.dataset["for"];
    } else if (kind === "snooze-date") {
      kind = "snooze";
      var input = c.row.querySelector("input.snooze-date");
      if (!input.value) {
        say("Pick a date to snooze " + c.label + " until.");
        input.focus();
        return;
      }
      body.until = input.value;
    } else if (kind === "assign") {
      body.owner = c.row.querySelector("input.assign-owner").value.trim();
      if (!body.owner) {
        say("Name the owner to assign " + c.label + " to.");
        return;
      }
    } else if (kind === "comment") {
      body.note = c.row.querySelector("input.comment-note").value.trim();
      if (!body.note) {
        say("Write the note to add to " + c.label + ".");
        return;
      }
    }
    button.disabled = true;
    try {
      var res = await act(c, kind, body);
      closePanel(button);
      var inv = undoFor(c, kind);
      var text = actionNames[kind] + ": " + c.label;
      if (kind === "snooze" && res.cases && res.cases[0] && res.cases[0].snoozed_until) {
        text = "Snoozed until " + fmtDate(res.cases[0].snoozed_until) + ": " + c.label;
      } else if (kind === "assign") {
        text = "Assigned to " + body.owner + ": " + c.label;
      }
      if (res.events && res.events.length === 0) {
        text += " (nothing changed)";
        inv = {};
      }
      say(inv.note ? text + ". " + inv.note : text + ".", inv.undo);
      if (!live) {
        showCase(c.row, res.cases && res.cases[0]);
        button.disabled = false;
      }
      refresh();
    } catch (e) {
      button.disabled = false;
      if (e.message === "signed out") {
        return;
      }
      if (button.dataset.act === "snooze-date" && e.message.indexOf("not after now") >= 0) {
        say("Could not snooze " + c.label + " until " + body.until + ": that is not after now (" +
          fmtDate(serverNow.toISOString()) + "). Pick a later date.");
        return;
      }
      say("Could not " + (kind === "ack" ? "acknowledge" : kind) + " " + c.label + ": " + e.message);
    }
  }

  // closePanel closes the actions panel holding el, focusing its summary.
  // A live refresh may have replaced el meanwhile (the event stream can
  // announce an action before its answer arrives): then the panel of the
  // same case is closed.
  function closePanel(el) {
    var d = el.closest("details.more");
    if (d && !d.isConnected) {
      var holder = el.closest("[data-id]");
      d = holder && document.querySelector('[data-id="' + CSS.escape(holder.dataset.id) + '"] details.more');
    }
    if (d && d.open) {
      d.open = false;
      d.querySelector("summary").focus();
    }
  }

  // One actions panel open at a time; Escape closes it.
  document.addEventListener("toggle", function (ev) {
    var d = ev.target;
    // A panel a live refresh has since replaced must not close its
    // replacement (its toggle event arrives after the swap).
    if (!d.matches || !d.matches("details.more")) {
      return;
    }
    if (d.dataset.restored) {
      delete d.dataset.restored;
      return;
    }
    if (d.open && d.isConnected) {
      document.querySelectorAll("details.more[open]").forEach(function (o) {
        if (o !== d) {
          o.open = false;
        }
      });
    }
  }, true);
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") {
      var d = document.activeElement && document.activeElement.closest("details.more[open]");
      if (d) {
        closePanel(d.querySelector("summary"));
      }
    }
  });

  // showCase updates a case card in place from the API's answer.
  function showCase(row, c) {
    if (!row || !c) {
      return;
    }
    row.dataset.state = c.state;
    row.dataset.owner = c.owner || "";
    row.dataset.snoozedUntil = c.snoozed_until || "";
    var badge = row.querySelector(".badge.state");
    if (badge) {
      badge.textContent = c.state.charAt(0).toUpperCase() + c.state.slice(1);
    }
  }

  async function silenceCase(button) {
    var c = caseOf(button);
    button.disabled = true;
    try {
      var sil = await api("POST", "/api/v1/silences", {
        match: c.key, type: c.type, "for": button.dataset.silence,
        reason: "Silenced from the dashboard: " + c.label,
      });
      closePanel(button);
      say("Silenced for 2 weeks: " + c.label + ".", {
        label: "Undo",
        run: async function () {
          try {
            await api("DELETE", "/api/v1/silences/" + encodeURIComponent(sil.id));
            say("Silence ended: " + c.label + ".");
          } catch (e) {
            say("Could not end the silence: " + e.message);
          }
          refresh();
        },
      });
      refresh();
    } catch (e) {
      button.disabled = false;
      say("Could not silence " + c.label + ": " + e.message);
    }
  }

  async function dismiss(button) {
    var id = button.dataset.dismiss;
    var item = button.closest("li.alert");
    var title = item ? item.querySelector(".title").textContent : "the alert";
    button.disabled = true;
    try {
      var res = await api("POST", "/api/v1/alerts/" + encodeURIComponent(id) + "/dismiss");
      var next = item && item.nextElementSibling ? item.nextElementSibling.querySelector("button[data-dismiss]") : null;
      if (item) {
        item.remove();
      }
      var n = (res.acknowledged || []).length;
      say("Dismissed: " + title + ". " + (n === 1 ? "1 case" : n + " cases") +
        " acknowledged. No undo: a dismissed alert stays dismissed; its cases reopen on an escalation.");
      (next || document.getElementById("alerts-h")).focus();
      refresh();
    } catch (e) {
      button.disabled = false;
      if (e.message !== "signed out") {
        say("Could not dismiss " + title + ": " + e.message);
      }
    }
  }

  // sortTable orders a table's body by the column of the clicked header
  // button, toggling the direction; aria-sort says which.
  function sortTable(button) {
    var th = button.closest("th");
    var table = button.closest("table");
    var col = Number(button.dataset.key);
    var asc = th.getAttribute("aria-sort") !== "ascending";
    var ranks = { critical: 4, high: 3, medium: 2, low: 1 };
    var rows = Array.from(table.tBodies[0].rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v || a.cells[col].textContent;
      var y = b.cells[col].dataset.v || b.cells[col].textContent;
      var r;
      if (button.dataset.num) {
        r = Number(x) - Number(y);
      } else if (button.dataset.rank) {
        r = (ranks[x] || 0) - (ranks[y] || 0);
      } else {
        r = x.localeCompare(y);
      }
      return asc ? r : -r;
    });
    rows.forEach(function (row) {
      table.tBodies[0].appendChild(row);
    });
    table.querySelectorAll("th[aria-sort]").forEach(function (h) {
      h.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
  }

  document.addEventListener("click", function (ev) {
    var b = ev.target.closest("button");
    if (!b || b.disabled) {
      return;
    }
    if (b.dataset.act) {
      caseAction(b);
    } else if (b.dataset.silence) {
      silenceCase(b);
    } else if (b.dataset.dismiss) {
      dismiss(b);
    } else if (b.classList.contains("sort")) {
      sortTable(b);
    } else if (b.dataset.expire) {
      expireSilence(b);
    } else if (b.dataset.retry) {
      retry(b);
    }
  });

  async function expireSilence(button) {
    var row = button.closest("tr");
    var match = row.querySelector("code").textContent;
    button.disabled = true;
    try {
      await api("DELETE", "/api/v1/silences/" + encodeURIComponent(button.dataset.expire));
      row.querySelector('[data-label="Status"]').textContent = "Ended";
      button.remove();
      say("Silence ended: " + match + ". No undo: add a new silence to mute these cases again.");
    } catch (e) {
      button.disabled = false;
      say("Could not end the silence " + match + ": " + e.message);
    }
  }

  async function retry(button) {
    var row = button.closest("tr");
    button.disabled = true;
    try {
      await api("POST", "/api/v1/notifications/" + encodeURIComponent(button.dataset.retry) + "/retry");
      row.querySelector('[data-label="Status"]').textContent = "Pending";
      row.dataset.status = "pending";
      button.remove();
      say("Queued again: the notification is sent on the worker's next pass.");
    } catch (e) {
      button.disabled = false;
      say("Could not retry: " + e.message);
    }
  }

  var silenceForm = document.getElementById("silence-form");
  if (silenceForm) {
    silenceForm.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var f = new FormData(silenceForm);
      var body = { match: f.get("match"), reason: f.get("reason"), "for": f.get("for") };
      if (f.get("type")) {
        body.type = f.get("type");
      }
      if (f.get("owner")) {
        body.owner = f.get("owner");
      }
      try {
        await api("POST", "/api/v1/silences", body);
        window.location.reload();
      } catch (e) {
        say("Could not add the silence: " + e.message);
      }
    });
  }

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
        if (live) {
          refresh();
        }
      }
    });
  }

  function setLive(state, text) {
    liveStatus.dataset.state = state;
    liveStatus.textContent = text;
  }

  if (!live) {
    setLive("off", "Reload to see changes.");
    return;
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
    events.addEventListener("cases", refresh);
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
    setLive("off", "Live updates are not supported by this browser: reload to see changes.");
  }
})();
