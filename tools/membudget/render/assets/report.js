/* membudget report page: treemap, symbol table and self-test.

   Reads the JSON in #membudget-data (written by render_html.py) and draws
   everything from it; no network, no library.  Two kinds of data:
   "report" (leaves carry bytes per class) and "diff" (leaves carry a
   status and the change per class; the treemap is sized by |change|).

   Leaf layout: report [name, code, rodata, data, bss];
                diff   [name, status, dcode, drodata, ddata, dbss].
   Opening the page with #selftest appends a JSON verdict to #selftest
   (see selftest() below); tests/browser drives it through Chromium. */
(function () {
    "use strict";

    var data = JSON.parse(document.getElementById("membudget-data").textContent);
    var DIFF = data.kind === "diff";
    var TABLE_LIMIT = 500;
    var KIB = 1024;

    /* A size measure over [code, rodata, data, bss] */
    function measure(s, m) {
        if (m === "rom") return s[0] + s[1] + s[2];
        if (m === "ram") return s[0] + s[1] + s[2] + s[3];
        return s[data.classes.indexOf(m)];
    }
    function leafSizes(leaf) {
        return DIFF ? leaf.slice(2, 6) : leaf.slice(1, 5);
    }
    /* Treemap area of a leaf: bytes, or |change| for a diff */
    function leafValue(leaf, m) {
        var v = measure(leafSizes(leaf), m);
        return DIFF ? Math.abs(v) : v;
    }
    function fmt(n) {
        return n.toLocaleString("en-US");
    }
    function signed(n) {
        return (n > 0 ? "+" : "") + fmt(n);
    }
    function kib(n) {
        return (n / KIB).toFixed(2);
    }
    function esc(text) {
        return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;")
            .replace(/>/g, "&gt;").replace(/"/g, "&quot;");
    }
    function hue(i) {
        return Math.round((i * 137.508 + 200) % 360);
    }

    /* Every leaf once, with its owner and file, for the table and tooltips */
    var leaves = [];
    data.owners.forEach(function (owner, oi) {
        owner.files.forEach(function (file) {
            file.symbols.forEach(function (leaf) {
                leaves.push({owner: owner.name, oi: oi, file: file.name, leaf: leaf});
            });
        });
    });

    /* Squarified treemap (Bruls, Huizing, van Wijk): lay items out in rows
       along the shorter side, adding to a row while its worst aspect ratio
       improves.  items: [{value, ...}] sorted by value, largest first, all
       > 0.  Returns [{item, x, y, w, h}] tiling the rectangle exactly. */
    function squarify(items, x, y, w, h) {
        var out = [];
        var total = 0;
        items.forEach(function (it) { total += it.value; });
        if (total <= 0 || w <= 0 || h <= 0) return out;
        var scale = (w * h) / total;
        var i = 0;
        while (i < items.length) {
            var side = Math.min(w, h);
            var row = [], sum = 0, best = Infinity, amin = Infinity, amax = 0;
            while (i < items.length) {
                var a = items[i].value * scale;
                var s = sum + a;
                var lo = Math.min(amin, a), hi = Math.max(amax, a);
                var worst = Math.max(side * side * hi / (s * s), (s * s) / (side * side * lo));
                if (row.length && worst > best) break;
                row.push(a); sum = s; best = worst; amin = lo; amax = hi; i++;
            }
            var first = i - row.length;
            var thick = sum / side;
            var pos = 0;
            if (i === items.length) thick = w >= h ? w : h;  /* last row: no float gap */
            for (var k = 0; k < row.length; k++) {
                var len = k === row.length - 1 ? side - pos : row[k] / thick;
                if (w >= h) {
                    out.push({item: items[first + k], x: x, y: y + pos, w: thick, h: len});
                } else {
                    out.push({item: items[first + k], x: x + pos, y: y, w: len, h: thick});
                }
                pos += len;
            }
            if (w >= h) { x += thick; w -= thick; } else { y += thick; h -= thick; }
        }
        return out;
    }

    function sortedItems(list, value) {
        var items = [];
        list.forEach(function (thing, idx) {
            var v = value(thing);
            if (v > 0) items.push({value: v, thing: thing, idx: idx});
        });
        items.sort(function (a, b) { return b.value - a.value; });
        return items;
    }

    var svg = document.getElementById("treemap");
    var box = document.getElementById("treemap-box");
    var tooltip = document.getElementById("tooltip");
    var measureSelect = document.getElementById("measure");
    var mapNote = document.getElementById("map-note");
    var tipNodes = [];

    function ownerValue(owner, m) {
        var v = 0;
        owner.files.forEach(function (f) { v += fileValue(f, m); });
        return v;
    }
    function fileValue(file, m) {
        var v = 0;
        file.symbols.forEach(function (leaf) { v += leafValue(leaf, m); });
        return v;
    }
    function fillFor(oi, level, leaf) {
        var h = hue(oi);
        if (data.owners[oi].kind === "bucket") h = -1;
        if (DIFF && level === 2) {
            /* as render_html.STATUS_COLOURS */
            return {grown: "#d9534f", shrunk: "#3c9a5f", added: "#e8912d",
                    removed: "#4a7fc1"}[leaf[1]] || "#999";
        }
        var light = [90, 78, 64][level];
        return h < 0 ? "hsl(0,0%," + light + "%)" : "hsl(" + h + ",48%," + light + "%)";
    }
    function label(x, y, w, h, text, cls) {
        var room = Math.floor((w - 6) / 6.2);
        if (room < 3 || h < 13) return "";
        if (text.length > room) text = text.slice(0, room - 1) + "\u2026";
        return '<text class="' + cls + '" x="' + (x + 3).toFixed(1) + '" y="' +
            (y + 11).toFixed(1) + '">' + esc(text) + "</text>";
    }
    /* Edges are rounded, not sizes, so neighbours share an edge exactly */
    function rect(r, cls, fill, idx, owner) {
        var x1 = Math.round(r.x * 100), y1 = Math.round(r.y * 100);
        var x2 = Math.round((r.x + Math.max(0, r.w)) * 100);
        var y2 = Math.round((r.y + Math.max(0, r.h)) * 100);
        return '<rect class="' + cls + '" x="' + (x1 / 100) + '" y="' + (y1 / 100) +
            '" width="' + ((x2 - x1) / 100) + '" height="' + ((y2 - y1) / 100) +
            '" fill="' + fill + '" data-i="' + idx + '"' +
            (owner !== undefined ? ' data-owner="' + esc(owner) + '"' : "") + "/>";
    }

    function drawTreemap() {
        var m = measureSelect.value;
        var W = Math.max(320, Math.floor(box.clientWidth || 960));
        var H = Math.max(320, Math.round(W * 0.5));
        svg.setAttribute("width", W);
        svg.setAttribute("height", H);
        svg.setAttribute("viewBox", "0 0 " + W + " " + H);
        var parts = [], labels = [];
        tipNodes = [];
        var drawn = 0, hidden = 0;
        var owners = sortedItems(data.owners, function (o) { return ownerValue(o, m); });
        if (zoomed !== null) {
            owners = owners.filter(function (it) { return it.idx === zoomed; });
        }
        squarify(owners, 0, 0, W, H).forEach(function (or) {
            var owner = or.item.thing, oi = or.item.idx;
            tipNodes.push({path: [owner.name], value: or.item.value, oi: oi});
            parts.push(rect(or, "c0", fillFor(oi, 0), tipNodes.length - 1, owner.name));
            var head = or.h > 30 && or.w > 40 ? 15 : 0;
            labels.push(label(or.x, or.y, or.w, or.h, owner.name, "l0"));
            var inner = {x: or.x + 2, y: or.y + head + 1, w: or.w - 4, h: or.h - head - 3};
            if (inner.w < 2 || inner.h < 2) return;
            var files = sortedItems(owner.files, function (f) { return fileValue(f, m); });
            squarify(files, inner.x, inner.y, inner.w, inner.h).forEach(function (fr) {
                var file = fr.item.thing;
                tipNodes.push({path: [owner.name, file.name], value: fr.item.value, oi: oi});
                parts.push(rect(fr, "c1", fillFor(oi, 1), tipNodes.length - 1));
                /* A file big enough gets a strip with its base name */
                var strip = fr.h > 44 && fr.w > 70 ? 13 : 0;
                if (strip) {
                    labels.push(label(fr.x, fr.y - 1, fr.w, fr.h,
                                      file.name.split("/").pop(), "l1"));
                }
                var leavesIn = sortedItems(file.symbols, function (l) { return leafValue(l, m); });
                squarify(leavesIn, fr.x + 1, fr.y + 1 + strip, fr.w - 2,
                         fr.h - 2 - strip).forEach(function (sr) {
                    if (sr.w < 0.5 || sr.h < 0.5) { hidden++; return; }
                    var leaf = sr.item.thing;
                    tipNodes.push({path: [owner.name, file.name, leaf[0]],
                                   value: sr.item.value, oi: oi, leaf: leaf});
                    parts.push(rect(sr, "c2", fillFor(oi, 2, leaf), tipNodes.length - 1));
                    drawn++;
                    if (sr.w > 60 && sr.h > 16) {
                        labels.push(label(sr.x, sr.y, sr.w, sr.h, leaf[0], "l2"));
                    }
                });
            });
        });
        svg.innerHTML = parts.join("") + labels.join("");
        var total = DIFF ? 0 : measure(data.total, m);
        mapNote.textContent = (DIFF ? "area = |change| in " + m : "area = " + m + " bytes, " +
            fmt(total) + " B in all") + "; " + fmt(drawn) + " symbols drawn" +
            (hidden ? ", " + fmt(hidden) + " too small to see" : "") + ".";
    }

    /* Click a rectangle to show only its component; the button (or Escape)
       shows every component again */
    var zoomed = null;
    var zoomOut = document.getElementById("zoom-out");
    function zoom(oi) {
        zoomed = oi;
        zoomOut.hidden = oi === null;
        svg.classList.toggle("zoomed", oi !== null);
        if (oi !== null) zoomOut.textContent = "\u2190 all components (now: " +
            data.owners[oi].name + ")";
        drawTreemap();
    }
    svg.addEventListener("click", function (ev) {
        var idx = ev.target.getAttribute && ev.target.getAttribute("data-i");
        if (idx !== null && idx !== undefined && zoomed === null) zoom(tipNodes[+idx].oi);
    });
    zoomOut.addEventListener("click", function () { zoom(null); });
    document.addEventListener("keydown", function (ev) {
        if (ev.key === "Escape" && zoomed !== null) zoom(null);
    });

    function imageTotal(m) {
        return DIFF ? measure(data.head_total, m) : measure(data.total, m);
    }
    function showTip(ev) {
        var idx = ev.target.getAttribute && ev.target.getAttribute("data-i");
        if (idx === null || idx === undefined) { tooltip.hidden = true; return; }
        var node = tipNodes[+idx];
        var m = measureSelect.value;
        var total = imageTotal(m);
        var lines = ['<div class="tip-name">' + node.path.map(esc).join(" / ") + "</div>"];
        if (DIFF) {
            var change = node.leaf ? measure(leafSizes(node.leaf), m) : node.value;
            lines.push((node.leaf ? esc(node.leaf[1]) + ": " + signed(change) : "|change| " +
                fmt(change)) + " B (" + kib(change) + " KiB)");
        } else {
            lines.push(fmt(node.value) + " B, " + kib(node.value) + " KiB, " +
                (total ? (node.value * 100 / total).toFixed(2) : "0.00") + " % of " + m);
        }
        tooltip.innerHTML = lines.join("");
        tooltip.hidden = false;
        var bounds = box.getBoundingClientRect();
        var left = ev.clientX - bounds.left + 14;
        if (left + 280 > bounds.width) left = Math.max(0, left - 300);
        tooltip.style.left = left + "px";
        tooltip.style.top = (ev.clientY - bounds.top + 14) + "px";
    }
    svg.addEventListener("mousemove", showTip);
    svg.addEventListener("mouseleave", function () { tooltip.hidden = true; });
    measureSelect.addEventListener("change", drawTreemap);

    /* The symbol table: one row per leaf, sortable, filterable */
    var table = document.getElementById("symtab");
    var tbody = table.tBodies[0];
    var filter = document.getElementById("filter");
    var tableNote = document.getElementById("table-note");
    var TEXT_KEYS = {symbol: true, file: true, owner: true, status: true};
    var NUM_KEYS = ["code", "rodata", "data", "bss", "rom", "ram"];
    var sortKey = "ram", sortDir = -1;

    function cell(row, key) {
        if (key === "symbol") return row.leaf[0];
        if (key === "file") return row.file;
        if (key === "owner") return row.owner;
        if (key === "status") return row.leaf[1];
        return measure(leafSizes(row.leaf), key);
    }
    function drawTable() {
        var q = filter.value.trim().toLowerCase();
        var rows = leaves.filter(function (r) {
            return !q || r.leaf[0].toLowerCase().indexOf(q) >= 0 ||
                r.file.toLowerCase().indexOf(q) >= 0 || r.owner.toLowerCase().indexOf(q) >= 0;
        });
        var key = sortKey, dir = sortDir;
        rows.sort(function (a, b) {
            var x = cell(a, key), y = cell(b, key);
            if (DIFF && !TEXT_KEYS[key]) { x = Math.abs(x); y = Math.abs(y); }
            if (x < y) return -dir;
            if (x > y) return dir;
            return a.leaf[0] < b.leaf[0] ? -1 : a.leaf[0] > b.leaf[0] ? 1 : 0;
        });
        var html = [];
        rows.slice(0, TABLE_LIMIT).forEach(function (r) {
            var tds = ['<td class="sym">' + esc(r.leaf[0]) + "</td>",
                       '<td class="file">' + esc(r.file) + "</td>",
                       "<td>" + esc(r.owner) + "</td>"];
            if (DIFF) tds.push('<td class="status ' + esc(r.leaf[1]) + '">' + esc(r.leaf[1]) + "</td>");
            NUM_KEYS.forEach(function (k) {
                var v = cell(r, k);
                tds.push("<td>" + (DIFF ? signed(v) : fmt(v)) + "</td>");
            });
            html.push("<tr>" + tds.join("") + "</tr>");
        });
        tbody.innerHTML = html.join("");
        tableNote.textContent = (rows.length > TABLE_LIMIT ? "showing the first " +
            fmt(TABLE_LIMIT) + " of " : "") + fmt(rows.length) + " of " + fmt(leaves.length) +
            " rows" + (DIFF ? "; numbers sort by |change|" : "");
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
            var k = th.getAttribute("data-key");
            th.setAttribute("aria-sort", k !== sortKey ? "none" :
                sortDir > 0 ? "ascending" : "descending");
        });
    }
    function sortBy(key) {
        if (key === sortKey) {
            sortDir = -sortDir;
        } else {
            sortKey = key;
            sortDir = TEXT_KEYS[key] ? 1 : -1;
        }
        drawTable();
    }
    table.tHead.addEventListener("click", function (ev) {
        var th = ev.target.closest("th");
        if (th && th.getAttribute("data-key")) sortBy(th.getAttribute("data-key"));
    });
    table.tHead.addEventListener("keydown", function (ev) {
        var th = ev.target.closest("th");
        if (th && (ev.key === "Enter" || ev.key === " ")) {
            ev.preventDefault();
            sortBy(th.getAttribute("data-key"));
        }
    });
    filter.addEventListener("input", drawTable);

    var resizeTimer = null;
    window.addEventListener("resize", function () {
        clearTimeout(resizeTimer);
        resizeTimer = setTimeout(drawTreemap, 150);
    });

    /* Self-test, run by tests/browser: drives the page as a person would
       and writes what it saw as JSON into #selftest. */
    function column(key) {
        var idx = -1;
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
            if (th.getAttribute("data-key") === key) idx = i;
        });
        return Array.prototype.map.call(tbody.rows, function (tr) {
            var text = tr.cells[idx].textContent;
            return TEXT_KEYS[key] ? text : Math.abs(Number(text.replace(/[,+]/g, "")));
        });
    }
    function monotone(values, dir) {
        for (var i = 1; i < values.length; i++) {
            if (dir > 0 ? values[i - 1] > values[i] : values[i - 1] < values[i]) return false;
        }
        return true;
    }
    function topRects() {
        var counts = {};
        Array.prototype.forEach.call(svg.querySelectorAll("rect.c0"), function (r) {
            var name = r.getAttribute("data-owner");
            counts[name] = (counts[name] || 0) + 1;
        });
        return counts;
    }
    /* How well the drawn top level tiles the map: area shares against byte
       shares, overlaps between components, children outside their component */
    function geometry() {
        var W = +svg.getAttribute("width"), H = +svg.getAttribute("height");
        var box = function (r) {
            return {x: +r.getAttribute("x"), y: +r.getAttribute("y"),
                    w: +r.getAttribute("width"), h: +r.getAttribute("height"),
                    node: tipNodes[+r.getAttribute("data-i")]};
        };
        var tops = Array.prototype.map.call(svg.querySelectorAll("rect.c0"), box);
        var total = 0, area = 0, worst = 0, overlaps = 0, outside = 0, ratio = 1;
        tops.forEach(function (t) { total += t.node.value; area += t.w * t.h; });
        var byOwner = {};
        tops.forEach(function (t, i) {
            byOwner[t.node.oi] = t;
            worst = Math.max(worst, Math.abs(t.w * t.h / (W * H) - t.node.value / total));
            ratio = Math.max(ratio, Math.max(t.w / t.h, t.h / t.w));
            for (var j = i + 1; j < tops.length; j++) {
                var u = tops[j];
                var ox = Math.min(t.x + t.w, u.x + u.w) - Math.max(t.x, u.x);
                var oy = Math.min(t.y + t.h, u.y + u.h) - Math.max(t.y, u.y);
                if (ox > 0.01 && oy > 0.01) overlaps++;
            }
        });
        Array.prototype.forEach.call(svg.querySelectorAll("rect.c1, rect.c2"), function (r) {
            var c = box(r), t = byOwner[c.node.oi];
            if (!t || c.x < t.x - 0.01 || c.y < t.y - 0.01 || c.x + c.w > t.x + t.w + 0.01 ||
                    c.y + c.h > t.y + t.h + 0.01) outside++;
        });
        return {covered: area / (W * H), worst_share_error: worst, overlaps: overlaps,
                outside: outside, worst_aspect: ratio};
    }
    function click(el) {
        el.dispatchEvent(new MouseEvent("click", {bubbles: true}));
    }
    function selftest() {
        var out = {kind: data.kind, measures: {}};
        ["rom", "ram"].concat(data.classes).forEach(function (m) {
            measureSelect.value = m;
            measureSelect.dispatchEvent(new Event("change"));
            out.measures[m] = {top_rects: topRects(),
                               rects: svg.querySelectorAll("rect").length,
                               geometry: geometry()};
        });
        measureSelect.value = "rom";
        measureSelect.dispatchEvent(new Event("change"));
        var first0 = svg.querySelector("rect.c0");
        if (first0) {
            click(first0);
            out.zoom = {owner: first0.getAttribute("data-owner"), top_rects: topRects(),
                        button: !zoomOut.hidden};
            click(zoomOut);
            out.zoom.after = Object.keys(topRects()).length;
        }
        var num = table.tHead.querySelector('th[data-key="rom"]');
        var text = table.tHead.querySelector('th[data-key="symbol"]');
        click(num);
        var first = column("rom");
        var firstDir = sortDir;
        click(num);
        var second = column("rom");
        click(text);
        var names = column("symbol");
        out.sort = {rows: first.length,
                    rom_first_click: monotone(first, firstDir) && firstDir === -1,
                    rom_second_click: monotone(second, -firstDir),
                    changed: first.length < 2 || first.join() !== second.join() ||
                        first[0] === first[first.length - 1],
                    symbol_ascending: monotone(names, 1)};
        /* Filter by a real symbol's name if there is one, else any leaf's */
        var named = leaves.filter(function (r) { return r.leaf[0].charAt(0) !== "("; });
        var pool = named.length ? named : leaves;
        var probe = pool.length ? pool[pool.length - 1].leaf[0] : "";
        filter.value = probe;
        filter.dispatchEvent(new Event("input"));
        out.filter = {query: probe, rows: tbody.rows.length,
                      all_match: Array.prototype.every.call(tbody.rows, function (tr) {
                          return tr.textContent.toLowerCase().indexOf(probe.toLowerCase()) >= 0;
                      })};
        filter.value = "";
        filter.dispatchEvent(new Event("input"));
        sortKey = "ram"; sortDir = -1;
        drawTable();
        var leafRect = svg.querySelector("rect.c2");
        if (leafRect) {
            var r = leafRect.getBoundingClientRect();
            leafRect.dispatchEvent(new MouseEvent("mousemove", {bubbles: true,
                clientX: r.left + 1, clientY: r.top + 1}));
        }
        out.tooltip = tooltip.hidden ? "" : tooltip.textContent;
        tooltip.hidden = true;
        out.table_rows = tbody.rows.length;
        out.leaves = leaves.length;
        out.budget_bars = document.querySelectorAll("#bars .bar").length;
        out.over_bars = document.querySelectorAll("#bars .bar.over").length;
        out.errors = window.membudgetErrors.slice();
        var pre = document.getElementById("selftest");
        pre.textContent = JSON.stringify(out);
        pre.setAttribute("data-done", "1");
    }

    drawTreemap();
    drawTable();
    /* After load and one more turn, so late events (a blocked fetch's
       policy violation) are in membudgetErrors too */
    if (location.hash === "#selftest") {
        window.addEventListener("load", function () {
            setTimeout(function () {
                try {
                    selftest();
                } catch (err) {
                    window.membudgetErrors.push("selftest: " + err);
                    document.getElementById("selftest").textContent =
                        JSON.stringify({errors: window.membudgetErrors});
                }
            }, 100);
        });
    }
})();
