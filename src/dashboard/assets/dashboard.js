// komo dashboard: live updates, nothing else. A page part marked `data-live` (the runs
// table's rows, an unfinished run's facts and timeline) is fetched again every two
// seconds while the page is visible; the server answers only that part when asked with
// the `X-Komo-Fragment` header, and `X-Komo-Live: 0` once there is nothing left to
// follow. The part is left alone while it holds the keyboard focus or has not changed,
// and open <details> stay open.
(function () {
  "use strict";
  var live = document.querySelector("[data-live]");
  if (!live || !window.fetch) return;
  var period = 2000;
  var last = null;
  function replace(html) {
    if (html === last || live.contains(document.activeElement)) return;
    var open = [];
    live.querySelectorAll("details").forEach(function (d, i) { if (d.open) open.push(i); });
    live.innerHTML = html;
    var all = live.querySelectorAll("details");
    open.forEach(function (i) { if (all[i]) all[i].open = true; });
    last = html;
  }
  function tick() {
    if (document.hidden) { setTimeout(tick, period); return; }
    fetch(window.location.href, { headers: { "X-Komo-Fragment": "1" }, credentials: "same-origin" })
      .then(function (response) {
        // Signed out meanwhile: show the sign-in page.
        if (response.redirected) { window.location.reload(); return; }
        if (!response.ok) throw new Error(String(response.status));
        var more = response.headers.get("X-Komo-Live") !== "0";
        return response.text().then(function (html) {
          replace(html);
          if (more) setTimeout(tick, period);
        });
      })
      .catch(function () { setTimeout(tick, period * 5); });
  }
  setTimeout(tick, period);
})();
