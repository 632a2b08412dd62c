/* socwall: screen scale for charts, and the "server unreachable" banner with self-recovery. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  socwall: {
    /* 1.0 at 1920x1080; charts scale their fonts with it (HTML text scales in CSS). */
    viewport: function (_n, current) {
      var raw = Math.min(window.innerWidth / 1920, window.innerHeight / 1080);
      var scale = Math.max(0.6, Math.round(raw * 20) / 20);
      if (current && current.scale === scale) {
        return window.dash_clientside.no_update;
      }
      return { scale: scale };
    },
  },
});

(function () {
  var failures = 0;
  var wasOffline = false;

  var CHECK_EVERY_MS = 5000;

  function setOffline(offline) {
    var wall = document.getElementById("wall");
    if (wall) {
      wall.classList.toggle("offline", offline);
    }
  }

  function check() {
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, 4000);
    fetch("/healthz", { cache: "no-store", signal: controller.signal })
      .then(function (response) {
        /* Read the body even though only the status counts: in Chromium an unread body keeps
           its loader, buffers and AbortSignal alive, ~3 KB per check (bench/heap_diff.py). */
        return response.text().then(function () { return response; });
      })
      .then(function (response) {
        clearTimeout(timer);
        if (!response.ok && response.status !== 503) { throw new Error("HTTP " + response.status); }
        failures = 0;
        if (wasOffline || dueForReload()) {
          /* The server is back: reload so a restarted server's layout and assets are used.
             Or web.reload_every has passed: reload now, while the server is known to answer. */
          window.location.reload();
        }
      })
      .catch(function () {
        clearTimeout(timer);
        failures += 1;
        if (failures >= 2) {
          wasOffline = true;
          setOffline(true);
        }
      })
      .finally(function () {
        trimUndoHistory();
        setTimeout(check, CHECK_EVERY_MS);
      });
  }

  function dueForReload() {
    var wall = document.getElementById("wall");
    var after = wall ? Number(wall.getAttribute("data-reload-after-ms")) : 0;
    return after > 0 && performance.now() > after;
  }

  /* Dash's renderer records every dcc.Interval tick (poll, rotation) in its undo history,
     store.history.past, and never trims it; a wall shows no undo button, so keep the last few.
     Safe in place: the reducer copies the array on the next entry. */
  var UNDO_ENTRIES_KEPT = 20;

  function trimUndoHistory() {
    var history = window.store && window.store.getState().history;
    if (history && history.past && history.past.length > UNDO_ENTRIES_KEPT) {
      history.past.splice(0, history.past.length - UNDO_ENTRIES_KEPT);
    }
  }

  window.addEventListener("load", function () { setTimeout(check, 1000); });
})();

/* A server that reloaded its config serves a new layout: take it (see README "Reload"). */
window.dash_clientside.socwall.reloadOnNewLayout = function (served, loaded) {
  if (served && loaded && served !== loaded) {
    window.location.reload();
  }
  return window.dash_clientside.no_update;
};

/* The desk's side drawer. A row with data-row (top talkers, suspicious users) opens it by
   click, Enter or Space: the request names the panel and the row, and the server answers
   with what the job stored for that row (dashboard/app.py, open_drawer). Escape or the close
   button closes it and gives the focus back to the row. Kiosks never open it. */
(function () {
  var opener = null;

  function setProps(id, props) {
    var set = window.dash_clientside && window.dash_clientside.set_props;
    if (set) { set(id, props); }
  }

  function panelOf(element) {
    var section = element.closest("section.panel");
    try { return section ? JSON.parse(section.id).id : null; } catch (e) { return null; }
  }

  function desk() {
    var wall = document.getElementById("wall");
    return wall && wall.classList.contains("desk");
  }

  function open(row) {
    var panel = panelOf(row);
    if (!panel || !desk()) { return; }
    opener = row;
    setProps("drawer-request", { data: { panel: panel, row: row.getAttribute("data-row"), at: Date.now() } });
  }

  function close() {
    var drawer = document.getElementById("drawer");
    if (!drawer || !drawer.classList.contains("open")) { return; }
    setProps("drawer", { className: "drawer" });
    if (opener && document.body.contains(opener)) { opener.focus(); }
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("#drawer-close")) { close(); return; }
    if (event.target.closest("a")) { return; }  /* a link to the SIEM goes there instead */
    var row = event.target.closest("[data-row]");
    if (row) { open(row); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { close(); return; }
    var row = event.target.closest && event.target.closest("[data-row]");
    if (row && event.target === row && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      open(row);
    }
  });

  /* the drawer just opened: put the keyboard in it (its close button) */
  new MutationObserver(function (changes) {
    changes.forEach(function (change) {
      if (change.target.id === "drawer" && change.target.classList.contains("open")) {
        var button = document.getElementById("drawer-close");
        if (button && document.activeElement !== button) { button.focus(); }
      }
    });
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["class"], subtree: true });
})();

/* Visitor mode at the desk: V masks hosts, users and addresses (the server does it, on the
   next poll, for every panel); V again shows them. A redacting screen's cookie keeps the
   mask whatever this class says (dashboard/visitor.py). */
document.addEventListener("keydown", function (event) {
  if ((event.key !== "v" && event.key !== "V") || event.ctrlKey || event.metaKey || event.altKey) {
    return;
  }
  var wall = document.getElementById("wall");
  var set = window.dash_clientside && window.dash_clientside.set_props;
  if (!wall || !set || !wall.classList.contains("desk")) { return; }
  var classes = wall.className.split(/\s+/).filter(function (c) { return c && c !== "redact"; });
  if (!wall.classList.contains("redact")) { classes.push("redact"); }
  set("wall", { className: classes.join(" ") });
});
