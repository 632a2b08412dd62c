/* Burn-in care (docs/visitors.md): where the page gave the wall the class burn-in (kiosks and
   screens by default), the whole wall moves by up to web.burn_in.shift px every
   web.burn_in.every, and the title bar, clock and health strip move and dim every
   chrome_every. Positions come from the time step, so every screen of one wall moves alike
   and a reload keeps them. */
(function () {
  var held = null;  /* tests: window.socwallBurnIn.hold(x, y) pins the wall at an offset */

  function spread(step, salt) {  /* 0..1, the same for the same step */
    var x = Math.sin(step * 12.9898 + salt * 78.233) * 43758.5453;
    return x - Math.floor(x);
  }

  function place() {
    var wall = document.getElementById("wall");
    if (!wall || !wall.classList.contains("burn-in")) { return; }
    var root = document.documentElement;
    var max = Number(wall.getAttribute("data-shift-px")) || 0;
    var step = Math.floor(Date.now() / (Number(wall.getAttribute("data-shift-ms")) || 120000));
    var chrome = Math.floor(Date.now() / (Number(wall.getAttribute("data-chrome-ms")) || 420000));
    var x = held ? held[0] : Math.round(spread(step, 1) * max);
    var y = held ? held[1] : Math.round(spread(step, 2) * max);
    root.style.setProperty("--shift-x", Math.min(max, Math.max(0, x)) + "px");
    root.style.setProperty("--shift-y", Math.min(max, Math.max(0, y)) + "px");
    root.style.setProperty("--chrome-shift", Math.round(spread(chrome, 3) * 2 * max) + "px");
    root.style.setProperty("--chrome-dim", chrome % 2 ? "0.72" : "1");
  }

  window.socwallBurnIn = {
    hold: function (x, y) { held = [x, y]; place(); },
    release: function () { held = null; place(); },
  };
  setInterval(place, 1000);
  window.addEventListener("load", place);
})();
