// komo dashboard: live updates, nothing else. A page part marked `data-live` (the runs
// table's rows, an unfinished run's timeline) is fetched again every two seconds while
// the page is visible; the server answers only that part when asked with the
// `X-Komo-Fragment` header, and `X-Komo-Live: 0` once there is nothing left to follow.
(function () {
  "use strict";
  var live = document.querySelector("[data-live]");
  if (!live || !window.fetch) return;
  var period = 2000;
  function tick() {
    if (document.hidden) { setTimeout(tick, period); return; }
    fetch(window.location.href, { headers: { "X-Komo-Fragment": "1" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        var more = response.headers.get("X-Komo-Live") !== "0";
        return response.text().then(function (html) {
          live.innerHTML = html;
          live.setAttribute("data-updated", new Date().toISOString());
          if (more) setTimeout(tick, period);
        });
      })
      .catch(function () { setTimeout(tick, period * 5); });
  }
  setTimeout(tick, period);
})();
