/* The query UI: a highlighting editor that completes prefixes and the dataset's terms and
   marks a syntax error where the endpoint says it is; it runs the query against /sparql (or
   /sparql/inferred) and shows the answer label-first — each IRI by its label, the IRI on hover
   and as the link, datatypes muted — in pages of 50 rows, with result views beyond the table
   (bar chart, line over time, timeline) for numeric and dated results, and downloads in each
   format. No dependencies, no inline script, no eval (the site's Content-Security-Policy). */
(function () {
  "use strict";
  var form = document.getElementById("query-form");
  if (!form) return;
  var editor = document.getElementById("query");
  var highlight = document.getElementById("highlight");
  var inferred = document.getElementById("inferred");
  var statusLine = document.getElementById("status");
  var results = document.getElementById("results");
  var errorBox = document.getElementById("error");
  var downloads = document.getElementById("downloads");
  var completions = document.getElementById("completions");
  var base = form.dataset.base;
  var examples = JSON.parse(document.getElementById("example-queries").textContent);
  var prefixes = JSON.parse(document.getElementById("prefixes").textContent);
  var termsNode = document.getElementById("terms");
  var terms = termsNode ? JSON.parse(termsNode.textContent) : [];
  var SVG = "http://www.w3.org/2000/svg";
  var PAGE_SIZE = 50;
  var errorAt = null; // [offset] of the syntax error the endpoint reported, until an edit
  // the download menus, from the server's format registry: {solutions: [[key, label]…], graph: …}
  var resultFormats = JSON.parse(document.getElementById("result-formats").textContent);

  function endpoint() {
    return inferred.checked ? form.dataset.inferred : form.dataset.plain;
  }

  // --- the editor: highlighting, the syntax error's place --------------------------------

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function refresh() {
    var text = editor.value, html;
    if (errorAt !== null && errorAt <= text.length) {
      var end = Math.min(text.length, errorAt + 1);
      var bad = text.slice(errorAt, end);
      html = window.highlightSparql(text.slice(0, errorAt)) +
        '<span class="syntax-error" id="syntax-error">' +
        escapeHtml(bad && bad !== "\n" ? bad : " ") + "</span>" +
        (bad === "\n" ? "\n" : "") + window.highlightSparql(text.slice(end));
    } else {
      html = window.highlightSparql(text);
    }
    // A trailing newline keeps the last line's height in the <pre> equal to the textarea's.
    highlight.innerHTML = html + "\n";
    highlight.parentNode.scrollTop = editor.scrollTop;
    highlight.parentNode.scrollLeft = editor.scrollLeft;
  }

  function offsetOf(text, line, column) {
    var lines = text.split("\n");
    var offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    return Math.min(text.length, offset + Math.max(0, column - 1));
  }

  function markSyntaxError(message) {
    // "error at 4:2: …", "line 4, column 2", "4:2": the endpoint names the place
    var m = /(?:at|line)\s+(\d+)(?::|,\s*column\s+)(\d+)/i.exec(message) ||
      /\b(\d+):(\d+)\b/.exec(message);
    if (!m) return false;
    errorAt = offsetOf(editor.value, parseInt(m[1], 10), parseInt(m[2], 10));
    refresh();
    return true;
  }

  // --- completion: prefixes, the ontology's terms, the dataset's entities ------------------

  var choices = [], chosen = 0, replaceFrom = 0;

  function wordBeforeCaret() {
    var upTo = editor.value.slice(0, editor.selectionStart);
    var m = /([A-Za-z][\w-]*)?(:?)([\w.-]*)$/.exec(upTo);
    return m ? { text: m[0], prefix: m[1] || "", colon: m[2], local: m[3], start: upTo.length - m[0].length } : null;
  }

  function declared(prefix) {
    return new RegExp("PREFIX\\s+" + prefix + ":", "i").test(editor.value);
  }

  function showChoices(list, from) {
    choices = list.slice(0, 12);
    chosen = 0;
    replaceFrom = from;
    completions.textContent = "";
    if (!choices.length) { completions.hidden = true; return; }
    choices.forEach(function (c, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.dataset.index = String(i);
      var code = document.createElement("code");
      code.textContent = c.insert;
      li.appendChild(code);
      if (c.label) {
        var note = document.createElement("span");
        note.className = "note";
        note.textContent = " " + c.label;
        li.appendChild(note);
      }
      if (i === chosen) li.className = "chosen";
      completions.appendChild(li);
    });
    completions.hidden = false;
  }

  function hideChoices() { choices = []; completions.hidden = true; }

  function moveChoice(step) {
    if (!choices.length) return;
    chosen = (chosen + step + choices.length) % choices.length;
    Array.prototype.forEach.call(completions.children, function (li, i) {
      li.className = i === chosen ? "chosen" : "";
    });
  }

  function accept(index) {
    var c = choices[index];
    if (!c) return;
    var text = editor.value, caret = editor.selectionStart;
    var before = text.slice(0, replaceFrom), after = text.slice(caret);
    var inserted = c.insert;
    var added = "";
    var used = /^([A-Za-z][\w-]*):/.exec(inserted);
    if (used && prefixes[used[1]] && !declared(used[1])) {
      added = "PREFIX " + used[1] + ": <" + prefixes[used[1]] + ">\n";
    }
    editor.value = added + before + inserted + after;
    var at = added.length + before.length + inserted.length;
    editor.setSelectionRange(at, at);
    hideChoices();
    errorAt = null;
    refresh();
    editor.focus();
  }

  var entityLookup = null;

  function suggest() {
    var w = wordBeforeCaret();
    if (!w || (!w.colon && w.prefix.length < 2)) { hideChoices(); return; }
    if (!w.colon) {
      // a prefix name being typed: the dataset's prefixes
      var list = Object.keys(prefixes).filter(function (p) {
        return p.toLowerCase().indexOf(w.prefix.toLowerCase()) === 0;
      }).map(function (p) { return { insert: p + ":", label: prefixes[p] }; });
      showChoices(list, w.start);
      return;
    }
    var ns = prefixes[w.prefix];
    if (!ns) { hideChoices(); return; }
    var local = w.local.toLowerCase();
    var found = terms.filter(function (t) {
      return t[0].indexOf(ns) === 0 && (t[0].slice(ns.length).toLowerCase().indexOf(local) === 0 ||
        (local.length > 1 && (t[1] || "").toLowerCase().indexOf(local) >= 0));
    }).map(function (t) { return { insert: w.prefix + ":" + t[0].slice(ns.length), label: t[1] }; });
    showChoices(found, w.start);
    if (found.length < 5 && w.local.length >= 2) {
      // the dataset's own entities (kg:…), by any of their names, from the search index
      var asked = w.text;
      clearTimeout(entityLookup);
      entityLookup = setTimeout(function () {
        fetch("/search.json?limit=10&q=" + encodeURIComponent(w.local)).then(function (r) {
          return r.ok ? r.json() : { hits: [] };
        }).then(function (answer) {
          var now = wordBeforeCaret();
          if (!now || now.text !== asked) return;
          var more = answer.hits.filter(function (h) { return h.iri.indexOf(ns) === 0; })
            .map(function (h) { return { insert: w.prefix + ":" + h.iri.slice(ns.length), label: h.label }; });
          showChoices(found.concat(more.filter(function (m) {
            return !found.some(function (f) { return f.insert === m.insert; });
          })), w.start);
        }).catch(function () {});
      }, 150);
    }
  }

  // --- values as a person reads them ---------------------------------------------------

  function localHref(iri) {
    // Our own IRIs open their page on this server; anything else is linked as it is.
    if (base && iri.indexOf(base) === 0) return "/" + iri.slice(base.length);
    return iri;
  }

  function shortName(iri) {
    var best = null;
    Object.keys(prefixes).forEach(function (p) {
      var ns = prefixes[p];
      if (iri.indexOf(ns) === 0 && (!best || ns.length > prefixes[best].length)) best = p;
    });
    return best ? best + ":" + iri.slice(prefixes[best].length) : iri;
  }

  var labels = {}; // IRI -> label, filled after each answer

  var NUMERIC = /#(integer|decimal|double|float|int|long|short|nonNegativeInteger|positiveInteger|nonPositiveInteger|negativeInteger|unsignedInt|unsignedLong)$/;
  var DATED = /#(date|dateTime|gYear|gYearMonth|dateTimeStamp)$/;

  function isNumber(term) {
    return term && term.type !== "uri" && term.type !== "bnode" &&
      ((term.datatype && NUMERIC.test(term.datatype)) ||
       (!term.datatype && !term["xml:lang"] && /^-?\d+(\.\d+)?$/.test(term.value)));
  }
  function isDate(term) {
    return term && term.datatype && DATED.test(term.datatype);
  }
  function dateValue(term) {
    var v = term.value;
    if (/^\d{4}$/.test(v)) v += "-01-01";
    else if (/^\d{4}-\d{2}$/.test(v)) v += "-01";
    var t = Date.parse(v);
    return isNaN(t) ? null : t;
  }
  function shownNumber(term) {
    var n = Number(term.value);
    return isNaN(n) ? term.value : n.toLocaleString("en");
  }
  function textOf(term) {
    if (!term) return "";
    if (term.type === "uri") return labels[term.value] || shortName(term.value);
    if (isNumber(term)) return shownNumber(term);
    return term.value;
  }

  function cell(term) {
    var td = document.createElement("td");
    if (!term) return td;
    if (term.type === "uri" && !/^https?:/i.test(term.value)) {
      // Only http(s) IRIs are links: a javascript:, data: or file: IRI in the data is text.
      td.textContent = term.value;
      td.className = "iri";
    } else if (term.type === "uri") {
      var a = document.createElement("a");
      a.href = localHref(term.value);
      a.title = term.value;
      a.dataset.iri = term.value;
      a.textContent = textOf(term);
      td.appendChild(a);
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
      td.className = "bnode";
    } else {
      td.appendChild(document.createTextNode(isNumber(term) ? shownNumber(term) : term.value));
      if (isNumber(term)) td.className = "num";
      // English is the dataset's language: only other languages get a tag; datatypes muted.
      var lang = term["xml:lang"] && term["xml:lang"] !== "en" ? term["xml:lang"] : "";
      var note = lang ? "@" + lang :
        (term.datatype && !term["xml:lang"] ? shortName(term.datatype) : "");
      if (note) {
        var small = document.createElement("span");
        small.className = "datatype";
        small.textContent = " " + note;
        td.appendChild(small);
      }
    }
    return td;
  }

  function table(head, rows, first) {
    var t = document.createElement("table");
    t.className = "results-table";
    var tr = document.createElement("tr");
    head.forEach(function (h) {
      var th = document.createElement("th");
      th.textContent = h;
      tr.appendChild(th);
    });
    t.appendChild(tr);
    rows.slice(first, first + PAGE_SIZE).forEach(function (row) {
      var r = document.createElement("tr");
      row.forEach(function (term) { r.appendChild(cell(term)); });
      t.appendChild(r);
    });
    return t;
  }

  function pagedTable(head, rows) {
    var box = document.createElement("div");
    var first = 0;
    function draw() {
      box.textContent = "";
      box.appendChild(table(head, rows, first));
      if (rows.length > PAGE_SIZE) {
        var pager = document.createElement("p");
        pager.className = "pager";
        var prev = document.createElement("button");
        prev.type = "button"; prev.textContent = "← previous"; prev.disabled = first === 0;
        prev.addEventListener("click", function () { first -= PAGE_SIZE; draw(); });
        var next = document.createElement("button");
        next.type = "button"; next.textContent = "next →";
        next.disabled = first + PAGE_SIZE >= rows.length;
        next.addEventListener("click", function () { first += PAGE_SIZE; draw(); });
        var where = document.createElement("span");
        where.className = "note";
        where.textContent = " rows " + (first + 1) + "–" + Math.min(rows.length, first + PAGE_SIZE) +
          " of " + rows.length + " ";
        pager.appendChild(prev); pager.appendChild(where); pager.appendChild(next);
        box.appendChild(pager);
      }
    }
    draw();
    box.redraw = draw;
    return box;
  }

  // --- result views beyond the table ------------------------------------------------------

  function columnWhere(vars, rows, test) {
    for (var c = 0; c < vars.length; c++) {
      var bound = rows.filter(function (r) { return r[c]; });
      if (bound.length && bound.every(function (r) { return test(r[c]); })) return c;
    }
    return -1;
  }
  function labelColumn(vars, rows, skip) {
    for (var c = 0; c < vars.length; c++) {
      if (skip.indexOf(c) >= 0) continue;
      if (rows.some(function (r) { return r[c] && !isNumber(r[c]) && !isDate(r[c]); })) return c;
    }
    return -1;
  }
  function rowLink(row) {
    // a point links to the page of the first http(s) IRI of its row (its fact, its sentence)
    for (var i = 0; i < row.length; i++) {
      if (row[i] && row[i].type === "uri" && /^https?:/i.test(row[i].value)) return row[i];
    }
    return null;
  }
  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function linked(svgNode, row) {
    var target = rowLink(row);
    if (!target) return svgNode;
    var a = el("a", { href: localHref(target.value) });
    var title = el("title", {}, (labels[target.value] || shortName(target.value)));
    a.appendChild(title);
    a.appendChild(svgNode);
    return a;
  }

  function barChart(vars, rows, labelCol, numCol) {
    var shown = rows.filter(function (r) { return r[numCol]; }).slice(0, 60);
    var max = Math.max.apply(null, shown.map(function (r) { return Number(r[numCol].value); }).concat([0]));
    var rowH = 22, left = 260, width = 760, height = shown.length * rowH + 30;
    var svg = el("svg", { "class": "chart bar-chart", viewBox: "0 0 " + width + " " + height,
      width: width, height: height, role: "img" });
    svg.appendChild(el("title", {}, vars[numCol] + (labelCol >= 0 ? " by " + vars[labelCol] : "")));
    shown.forEach(function (r, i) {
      var v = Number(r[numCol].value);
      var w = max > 0 ? Math.max(1, (width - left - 70) * v / max) : 1;
      var y = i * rowH + 4;
      var name = labelCol >= 0 ? textOf(r[labelCol]) : String(i + 1);
      svg.appendChild(el("text", { x: left - 6, y: y + 14, "text-anchor": "end", "class": "axis" },
        name.length > 40 ? name.slice(0, 39) + "…" : name));
      var g = el("g", { "class": "point" });
      g.appendChild(el("rect", { x: left, y: y, width: w, height: rowH - 6 }));
      g.appendChild(el("text", { x: left + w + 4, y: y + 13, "class": "value" }, shownNumber(r[numCol])));
      svg.appendChild(linked(g, r));
    });
    return svg;
  }

  function timeAxis(svg, lo, hi, x, y, width) {
    svg.appendChild(el("line", { x1: x, y1: y, x2: x + width, y2: y, "class": "axis-line" }));
    var years = [];
    var a = new Date(lo).getUTCFullYear(), b = new Date(hi).getUTCFullYear();
    var step = Math.max(1, Math.ceil((b - a + 1) / 10));
    for (var yr = a; yr <= b + 1; yr += step) years.push(yr);
    years.forEach(function (yr) {
      var t = Date.UTC(yr, 0, 1);
      if (t < lo || t > hi) return;
      var px = x + (hi > lo ? (t - lo) / (hi - lo) * width : width / 2);
      svg.appendChild(el("line", { x1: px, y1: y, x2: px, y2: y + 5, "class": "axis-line" }));
      svg.appendChild(el("text", { x: px, y: y + 18, "text-anchor": "middle", "class": "axis" }, String(yr)));
    });
  }

  function lineChart(vars, rows, dateCol, numCol) {
    var pts = rows.filter(function (r) { return r[dateCol] && r[numCol] && dateValue(r[dateCol]) !== null; })
      .map(function (r) { return { t: dateValue(r[dateCol]), v: Number(r[numCol].value), row: r }; })
      .sort(function (p, q) { return p.t - q.t; });
    var width = 760, height = 320, left = 70, top = 20, plotW = width - left - 30, plotH = height - 70;
    var svg = el("svg", { "class": "chart line-chart", viewBox: "0 0 " + width + " " + height,
      width: width, height: height, role: "img" });
    svg.appendChild(el("title", {}, vars[numCol] + " over " + vars[dateCol]));
    if (!pts.length) return svg;
    var lo = pts[0].t, hi = pts[pts.length - 1].t;
    if (hi === lo) { lo -= 86400000 * 180; hi += 86400000 * 180; }
    var max = Math.max.apply(null, pts.map(function (p) { return p.v; }).concat([0]));
    function X(t) { return left + (t - lo) / (hi - lo) * plotW; }
    function Y(v) { return top + plotH - (max > 0 ? v / max * plotH : 0); }
    svg.appendChild(el("line", { x1: left, y1: top, x2: left, y2: top + plotH, "class": "axis-line" }));
    [0, max / 2, max].forEach(function (v) {
      svg.appendChild(el("text", { x: left - 6, y: Y(v) + 4, "text-anchor": "end", "class": "axis" },
        Number(v.toFixed(2)).toLocaleString("en")));
    });
    timeAxis(svg, lo, hi, left, top + plotH, plotW);
    svg.appendChild(el("polyline", { points: pts.map(function (p) { return X(p.t) + "," + Y(p.v); }).join(" "),
      "class": "series" }));
    pts.forEach(function (p) {
      var g = el("g", { "class": "point" });
      g.appendChild(el("circle", { cx: X(p.t), cy: Y(p.v), r: 5 }));
      g.appendChild(el("title", {}, p.row[dateCol].value + ": " + shownNumber(p.row[numCol])));
      svg.appendChild(linked(g, p.row));
    });
    return svg;
  }

  function timeline(vars, rows, dateCol, labelCol) {
    var pts = rows.filter(function (r) { return r[dateCol] && dateValue(r[dateCol]) !== null; })
      .map(function (r) { return { t: dateValue(r[dateCol]), row: r }; })
      .sort(function (p, q) { return p.t - q.t; }).slice(0, 80);
    var rowH = 20, width = 760, left = 20, plotW = width - 300, height = pts.length * rowH + 50;
    var svg = el("svg", { "class": "chart timeline", viewBox: "0 0 " + width + " " + height,
      width: width, height: height, role: "img" });
    svg.appendChild(el("title", {}, vars[dateCol] + (labelCol >= 0 ? ": " + vars[labelCol] : "")));
    if (!pts.length) return svg;
    var lo = pts[0].t, hi = pts[pts.length - 1].t;
    if (hi === lo) { lo -= 86400000 * 180; hi += 86400000 * 180; }
    pts.forEach(function (p, i) {
      var x = left + (p.t - lo) / (hi - lo) * plotW, y = 10 + i * rowH;
      var g = el("g", { "class": "point" });
      g.appendChild(el("circle", { cx: x, cy: y + 6, r: 5 }));
      var name = (labelCol >= 0 ? textOf(p.row[labelCol]) + " — " : "") + p.row[dateCol].value;
      g.appendChild(el("text", { x: x + 9, y: y + 10, "class": "axis" }, name.length > 60 ? name.slice(0, 59) + "…" : name));
      svg.appendChild(linked(g, p.row));
    });
    timeAxis(svg, lo, hi, left, pts.length * rowH + 20, plotW);
    return svg;
  }

  function views(vars, rows) {
    var numCol = columnWhere(vars, rows, isNumber);
    var dateCol = columnWhere(vars, rows, isDate);
    var labelCol = labelColumn(vars, rows, [numCol, dateCol]);
    var out = [["table", "Table", function () { return pagedTable(vars, rows); }]];
    if (numCol >= 0 && rows.length > 1) {
      out.push(["bar", "Bar chart", function () { return barChart(vars, rows, labelCol, numCol); }]);
    }
    if (numCol >= 0 && dateCol >= 0) {
      out.push(["line", "Line over time", function () { return lineChart(vars, rows, dateCol, numCol); }]);
    }
    if (dateCol >= 0) {
      out.push(["timeline", "Timeline", function () { return timeline(vars, rows, dateCol, labelCol); }]);
    }
    return out;
  }

  function showViews(vars, rows) {
    var offered = views(vars, rows);
    var bar = document.createElement("div");
    bar.className = "view-tabs";
    bar.setAttribute("role", "tablist");
    var panel = document.createElement("div");
    panel.className = "view-panel";
    var current = null;
    function choose(key) {
      offered.forEach(function (v) {
        var button = bar.querySelector('[data-view="' + v[0] + '"]');
        button.setAttribute("aria-selected", v[0] === key ? "true" : "false");
        if (v[0] === key) { panel.textContent = ""; current = v[2](); panel.appendChild(current); }
      });
      panel.dataset.view = key;
    }
    offered.forEach(function (v) {
      var button = document.createElement("button");
      button.type = "button";
      button.setAttribute("role", "tab");
      button.dataset.view = v[0];
      button.textContent = v[1];
      button.addEventListener("click", function () { choose(v[0]); });
      bar.appendChild(button);
    });
    if (offered.length > 1) results.appendChild(bar);
    results.appendChild(panel);
    choose("table");
    return function redraw() { choose(panel.dataset.view); };
  }

  function fetchLabels(rows, then) {
    var iris = {};
    rows.forEach(function (row) {
      row.forEach(function (t) {
        if (t && t.type === "uri" && /^https?:/i.test(t.value) && !(t.value in labels) &&
            !/[<>"{}|^`\\\s]/.test(t.value)) iris[t.value] = true;
      });
    });
    var list = Object.keys(iris).slice(0, 1000);
    if (!list.length) return;
    var query = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" +
      "SELECT ?s (SAMPLE(?l) AS ?label) WHERE { VALUES ?s { " +
      list.map(function (i) { return "<" + i + ">"; }).join(" ") +
      ' } ?s rdfs:label ?l FILTER(LANG(?l) IN ("en", "")) } GROUP BY ?s';
    fetch(form.dataset.plain, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded",
                 "Accept": "application/sparql-results+json" },
      body: new URLSearchParams({ query: query })
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data) return;
      data.results.bindings.forEach(function (b) { labels[b.s.value] = b.label.value; });
      then();
    }).catch(function () {});
  }

  // --- graphs, downloads, running ---------------------------------------------------------

  // N-Triples terms: <iri>, _:b, "literal"@lang / ^^<dt>. Enough to show a graph result.
  var NT_TERM = /^(?:<([^>]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([\w-]+)|\^\^<([^>]*)>)?)\s*/;
  function unescapeNt(text) {
    return text.replace(/\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})|\\(.)/g, function (m, u, U, c) {
      if (u || U) return String.fromCodePoint(parseInt(u || U, 16));
      return { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" }[c] || c;
    });
  }
  function parseNTriples(text) {
    var rows = [];
    text.split("\n").forEach(function (line) {
      line = line.trim();
      if (!line || line[0] === "#") return;
      var row = [], m;
      for (var i = 0; i < 3; i++) {
        m = NT_TERM.exec(line);
        if (!m) return;
        if (m[1] !== undefined) row.push({ type: "uri", value: m[1] });
        else if (m[2] !== undefined) row.push({ type: "bnode", value: m[2] });
        else row.push({ type: "literal", value: unescapeNt(m[3]), "xml:lang": m[4], datatype: m[5] });
        line = line.slice(m[0].length);
      }
      rows.push(row);
    });
    return rows;
  }

  function offerDownloads(query, isGraph) {
    var formats = isGraph ? resultFormats.graph : resultFormats.solutions;
    downloads.textContent = "Download the results: ";
    formats.forEach(function (f, i) {
      var a = document.createElement("a");
      a.href = endpoint() + "?query=" + encodeURIComponent(query) + "&format=" + f[0];
      a.textContent = f[1];
      a.setAttribute("download", "results." + f[0]);
      if (i) downloads.appendChild(document.createTextNode(" · "));
      downloads.appendChild(a);
    });
    downloads.hidden = false;
  }

  function run() {
    var query = editor.value;
    errorBox.hidden = true;
    downloads.hidden = true;
    hideChoices();
    errorAt = null;
    refresh();
    results.textContent = "";
    statusLine.textContent = "Running…";
    var started = performance.now();
    fetch(endpoint(), {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/sparql-results+json, application/n-triples;q=0.9"
      },
      body: new URLSearchParams({ query: query })
    }).then(function (response) {
      return response.text().then(function (body) {
        var ms = Math.round(performance.now() - started);
        if (!response.ok) {
          statusLine.textContent = "";
          errorBox.textContent = response.status + ": " + body;
          errorBox.hidden = false;
          if (response.status === 400) markSyntaxError(body);
          return;
        }
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/sparql-results+json") === 0) {
          var data = JSON.parse(body);
          if (typeof data.boolean === "boolean") {
            results.textContent = "Answer: " + (data.boolean ? "yes" : "no");
            statusLine.textContent = "ASK answered in " + ms + " ms";
          } else {
            var vars = data.head.vars;
            var rows = data.results.bindings.map(function (b) {
              return vars.map(function (v) { return b[v]; });
            });
            var redraw = showViews(vars, rows);
            fetchLabels(rows, redraw);
            statusLine.textContent = rows.length + " row" + (rows.length === 1 ? "" : "s") +
              " in " + ms + " ms";
          }
          offerDownloads(query, false);
        } else {
          var triples = parseNTriples(body);
          var redrawGraph = showViews(["subject", "predicate", "object"], triples);
          fetchLabels(triples, redrawGraph);
          statusLine.textContent = triples.length + " triple" + (triples.length === 1 ? "" : "s") +
            " in " + ms + " ms";
          offerDownloads(query, true);
        }
      });
    }).catch(function (err) {
      statusLine.textContent = "";
      errorBox.textContent = "The query could not be sent: " + err;
      errorBox.hidden = false;
    });
  }

  editor.addEventListener("input", function () { errorAt = null; refresh(); suggest(); });
  editor.addEventListener("scroll", refresh);
  editor.addEventListener("blur", function () { setTimeout(hideChoices, 200); });
  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
      return;
    }
    if (!choices.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      moveChoice(event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Tab" || event.key === "Enter") {
      event.preventDefault();
      accept(chosen);
    } else if (event.key === "Escape") {
      hideChoices();
    }
  });
  completions.addEventListener("mousedown", function (event) {
    var li = event.target.closest("li");
    if (!li) return;
    event.preventDefault();
    accept(parseInt(li.dataset.index, 10));
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  Array.prototype.forEach.call(document.querySelectorAll("button.example"), function (button) {
    button.addEventListener("click", function () {
      var example = examples.filter(function (e) { return e.name === button.dataset.name; })[0];
      if (!example) return;
      editor.value = example.query;
      inferred.checked = example.inferred;
      errorAt = null;
      refresh();
      history.replaceState(null, "", "#" + example.name);
      run();
    });
  });
  // A link such as /sparql#cq05-… opens that example; /sparql?edit=… arrives pre-filled.
  var wanted = decodeURIComponent(location.hash.slice(1));
  var example = examples.filter(function (e) { return e.name === wanted; })[0];
  refresh();
  if (example) {
    editor.value = example.query;
    inferred.checked = example.inferred;
    refresh();
    run();
  }
})();
