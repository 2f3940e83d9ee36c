/* A small SPARQL syntax highlighter for the query editor (defkg's own; no dependencies).
   highlightSparql(text) returns HTML: every piece of the text escaped, tokens wrapped in
   <span class="tok-…">. It is a tokenizer, not a parser: good enough to colour, never to judge. */
(function (global) {
  "use strict";
  var KEYWORDS = ("select construct describe ask where from named graph optional union minus " +
    "filter bind values service silent prefix base distinct reduced order by asc desc limit " +
    "offset group having as not exists in a true false undef").split(" ");
  var FUNCTIONS = ("str lang langmatches datatype bound iri uri bnode rand abs ceil floor round " +
    "concat strlen ucase lcase encode_for_uri contains strstarts strends strbefore strafter year " +
    "month day hours minutes seconds timezone tz now uuid struuid md5 sha1 sha256 sha384 sha512 " +
    "coalesce if strlang strdt sameterm isiri isuri isblank isliteral isnumeric regex substr " +
    "replace count sum min max avg sample group_concat separator").split(" ");
  var TOKEN = new RegExp([
    "(#[^\\n]*)",                                                   // 1 comment
    "(\"\"\"[\\s\\S]*?\"\"\"|'''[\\s\\S]*?'''|\"(?:[^\"\\\\\\n]|\\\\.)*\"|'(?:[^'\\\\\\n]|\\\\.)*')", // 2 string
    "(<[^<>\"{}|^`\\\\\\s]*>)",                                    // 3 IRI
    "([?$][A-Za-z_0-9\\u00C0-\\uFFFF]+)",                         // 4 variable
    "(@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*)",                              // 5 language tag
    "((?:[A-Za-z][\\w.-]*)?:[\\w.%-]*)",                           // 6 prefixed name
    "(\\b\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?\\b)",                  // 7 number
    "([A-Za-z_][A-Za-z_0-9]*)"                                     // 8 word
  ].join("|"), "g");

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }

  function span(kind, text) {
    return '<span class="tok-' + kind + '">' + escapeHtml(text) + "</span>";
  }

  function highlightSparql(text) {
    var out = "", last = 0, match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(text)) !== null) {
      if (match[0] === "") { TOKEN.lastIndex++; continue; }
      out += escapeHtml(text.slice(last, match.index));
      var kind = null;
      if (match[1]) kind = "comment";
      else if (match[2]) kind = "string";
      else if (match[3]) kind = "iri";
      else if (match[4]) kind = "var";
      else if (match[5]) kind = "lang";
      else if (match[6]) kind = "pname";
      else if (match[7]) kind = "number";
      else if (match[8]) {
        var word = match[8].toLowerCase();
        if (KEYWORDS.indexOf(word) >= 0) kind = "keyword";
        else if (FUNCTIONS.indexOf(word) >= 0) kind = "function";
      }
      out += kind ? span(kind, match[0]) : escapeHtml(match[0]);
      last = TOKEN.lastIndex;
    }
    return out + escapeHtml(text.slice(last));
  }

  global.highlightSparql = highlightSparql;
})(window);
