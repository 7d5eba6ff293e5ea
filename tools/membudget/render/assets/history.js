/* membudget history page: the charts are static SVG written by history.py;
   this script only runs the self-test (open the page with #selftest):
   what was drawn, per chart, as JSON in #selftest. */
(function () {
    "use strict";

    var data = JSON.parse(document.getElementById("membudget-data").textContent);

    function selftest() {
        var charts = Array.prototype.map.call(document.querySelectorAll("#history g.chart"),
            function (g) {
                return {owner: g.getAttribute("data-owner"), key: g.getAttribute("data-key"),
                        points: g.querySelectorAll("circle.point").length,
                        series: g.querySelectorAll("polyline.series").length,
                        budget: g.querySelectorAll("polyline.budget").length,
                        trend: g.querySelectorAll("polyline.trend").length,
                        estimate: g.querySelector("text.estimate").textContent};
            });
        var pre = document.getElementById("selftest");
        pre.textContent = JSON.stringify({kind: data.kind, expected: data.series.length,
                                          charts: charts,
                                          errors: window.membudgetErrors.slice()});
        pre.setAttribute("data-done", "1");
    }

    /* After load and one more turn, as report.js does */
    if (location.hash === "#selftest") {
        window.addEventListener("load", function () { setTimeout(selftest, 100); });
    }
})();
