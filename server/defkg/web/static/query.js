/* The query UI: highlights the editor, runs the query against /sparql (or /sparql/inferred),
   shows SELECT/ASK results as a table whose IRIs link to their pages and CONSTRUCT/DESCRIBE
   results as triples, and offers the results for download in each format. No dependencies. */
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
  var base = form.dataset.base;
  var examples = JSON.parse(document.getElementById("example-queries").textContent);
  var prefixes = JSON.parse(document.getElementById("prefixes").textContent);

  function endpoint() {
    return inferred.checked ? form.dataset.inferred : form.dataset.plain;
  }

  function refresh() {
    // A trailing newline keeps the last line's height in the <pre> equal to the textarea's.
    highlight.innerHTML = window.highlightSparql(editor.value) + "\n";
    highlight.parentNode.scrollTop = editor.scrollTop;
    highlight.parentNode.scrollLeft = editor.scrollLeft;
  }

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
      a.textContent = shortName(term.value);
      td.appendChild(a);
    } else if (term.type === "bnode") {
      td.textContent = "_:" + term.value;
      td.className = "bnode";
    } else {
      td.textContent = term.value;
      // English is the dataset's language: only other languages get a tag.
      var lang = term["xml:lang"] && term["xml:lang"] !== "en" ? term["xml:lang"] : "";
      var note = lang ? "@" + lang :
        (term.datatype && !term["xml:lang"] ? shortName(term.datatype) : "");
      if (note) {
        var small = document.createElement("span");
        small.className = "note";
        small.textContent = " " + note;
        td.appendChild(small);
      }
    }
    return td;
  }

  function table(head, rows) {
    var t = document.createElement("table");
    t.className = "results-table";
    var tr = document.createElement("tr");
    head.forEach(function (h) {
      var th = document.createElement("th");
      th.textContent = h;
      tr.appendChild(th);
    });
    t.appendChild(tr);
    rows.forEach(function (row) {
      var r = document.createElement("tr");
      row.forEach(function (term) { r.appendChild(cell(term)); });
      t.appendChild(r);
    });
    return t;
  }

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
    var formats = isGraph ?
      [["ttl", "Turtle"], ["jsonld", "JSON-LD"], ["nt", "N-Triples"], ["rdf", "RDF/XML"]] :
      [["json", "JSON"], ["xml", "XML"], ["csv", "CSV"], ["tsv", "TSV"]];
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
            results.appendChild(table(vars, rows));
            statusLine.textContent = rows.length + " row" + (rows.length === 1 ? "" : "s") +
              " in " + ms + " ms";
          }
          offerDownloads(query, false);
        } else {
          var triples = parseNTriples(body);
          results.appendChild(table(["subject", "predicate", "object"], triples));
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

  editor.addEventListener("input", refresh);
  editor.addEventListener("scroll", refresh);
  editor.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
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
      refresh();
      history.replaceState(null, "", "#" + example.name);
      run();
    });
  });
  // A link such as /sparql#cq05-… opens that example; /sparql?edit=… arrives pre-filled.
  var wanted = decodeURIComponent(location.hash.slice(1));
  var chosen = examples.filter(function (e) { return e.name === wanted; })[0];
  refresh();
  if (chosen) {
    editor.value = chosen.query;
    inferred.checked = chosen.inferred;
    refresh();
    run();
  }
})();
