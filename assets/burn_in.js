/* Burn-in care (docs/visitors.md): the whole wall moves by up to web.burn_in.shift px every
   web.burn_in.every, the title bar, clock and health strip move and dim every chrome_every.
   On where #wall's data-burn-in says: "always", or "kiosk" on kiosks and screens. Positions
   come from the time step, so every screen of one wall moves alike and a reload keeps them. */
(function () {
  var held = null;  /* tests: window.socwallBurnIn.hold(x, y) pins the wall at an offset */

  function spread(step, salt) {  /* 0..1, the same for the same step */
    var x = Math.sin(step * 12.9898 + salt * 78.233) * 43758.5453;
    return x - Math.floor(x);
  }

  function on(wall) {
    var mode = wall.getAttribute("data-burn-in");
    return mode === "always" || (mode === "kiosk" && wall.classList.contains("kiosk"));
  }

  function place() {
    var wall = document.getElementById("wall");
    var root = document.documentElement;
    if (!wall || !on(wall)) {
      root.classList.remove("burn-in");
      return;
    }
    var max = Number(wall.getAttribute("data-shift-px")) || 0;
    var step = Math.floor(Date.now() / (Number(wall.getAttribute("data-shift-ms")) || 120000));
    var chrome = Math.floor(Date.now() / (Number(wall.getAttribute("data-chrome-ms")) || 420000));
    var x = held ? held[0] : Math.round(spread(step, 1) * max);
    var y = held ? held[1] : Math.round(spread(step, 2) * max);
    root.style.setProperty("--shift-max", max + "px");
    root.style.setProperty("--shift-x", Math.min(max, Math.max(0, x)) + "px");
    root.style.setProperty("--shift-y", Math.min(max, Math.max(0, y)) + "px");
    root.style.setProperty("--chrome-shift", Math.round(spread(chrome, 3) * 2 * max) + "px");
    root.style.setProperty("--chrome-dim", chrome % 2 ? "0.72" : "1");
    root.classList.add("burn-in");
  }

  window.socwallBurnIn = {
    hold: function (x, y) { held = [x, y]; place(); },
    release: function () { held = null; place(); },
  };
  setInterval(place, 1000);
  window.addEventListener("load", place);
})();
