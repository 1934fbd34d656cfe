# Turns what SQL files define into C++ constants, so that the C++ side reads the
# vocabulary that the SQL defines instead of restating it:
# - the rows of `INSERT INTO core.TABLE (columns) VALUES (...), ...;`: a struct TABLE_row
#   whose members are the columns ('text' -> std::string_view, whole numbers -> long
#   long, true/false -> bool) and `inline constexpr TABLE_row TABLE[]` in file order;
# - constant functions `CREATE [OR REPLACE] FUNCTION core.NAME() RETURNS text[] | text |
#   integer ... RETURN literal;`: `inline constexpr` NAME (an array of std::string_view, a
#   std::string_view, a long long); a later file's definition replaces an earlier one.
#   awk -v out=FILE -v require="table ..." -f sql_rows.awk FILE.sql ...
# Exits 1 with FILE:LINE and the reason when a statement cannot be read or a required
# table has no rows: the build stops there.
function fail(msg) {
    printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
    failed = 1
    exit 1
}
function cxx(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return "\"" s "\"" }
function value(token, kind,    col) {
    col = ++ncol
    if (col > ncols[table]) fail("a row of core." table " has more values than its " ncols[table] " columns")
    if (kind == "" && token ~ /^-?[0-9]+$/) kind = "n"
    else if (kind == "" && (token == "true" || token == "false")) kind = "b"
    else if (kind == "") fail("cannot read value '" token "' of core." table " (text, whole number, true or false)")
    if (nrows[table] == 0) types[table, col] = kind
    else if (types[table, col] != kind) fail("column " columns[table, col] " of core." table " mixes kinds of value")
    row = row (col > 1 ? ", " : "") (kind == "s" ? cxx(token) : token)
}
function flush() { if (bare != "") { value(bare, ""); bare = "" } }
# Reads the VALUES part of the current statement (text) from character 1; returns 1 once
# the statement ended (';' or ON CONFLICT outside a row).
function scan(text,    i, c, n) {
    n = length(text)
    for (i = 1; i <= n; i++) {
        c = substr(text, i, 1)
        if (instring) {
            if (c == "'" && substr(text, i + 1, 1) == "'") { str = str "'"; i++ }
            else if (c == "'") { instring = 0; value(str, "s") }
            else str = str c
            continue
        }
        if (c == "-" && substr(text, i + 1, 1) == "-") { flush(); break }
        if (depth == 0) {
            if (c == "(") { depth = 1; ncol = 0; row = "" }
            else if (c == ";" || toupper(substr(text, i, 2)) == "ON") return 1
            else if (c != "," && c !~ /[ \t\r]/) fail("unexpected '" c "' between the rows of core." table)
            continue
        }
        if (c == "'") { if (bare != "") fail("unexpected quote in a row of core." table); instring = 1; str = "" }
        else if (c == "(") fail("a row of core." table " holds an expression: only literal values can be read")
        else if (c == ",") flush()
        else if (c == ")") {
            flush(); depth = 0
            if (ncol != ncols[table]) fail("a row of core." table " has " ncol " values for " ncols[table] " columns")
            rows[table, ++nrows[table]] = row
        }
        else if (c ~ /[ \t\r]/) flush()
        else bare = bare c
    }
    if (instring) str = str "\n"
    return 0
}
# A constant function's RETURN literal, once its statement (text) has ended.
function constant(text,    lit, n, k, items, item, decl) {
    lit = text; sub(/^.* RETURN /, "", lit); sub(/;[ \t]*$/, "", lit)
    if (fntype == "integer") {
        if (lit !~ /^[0-9]+$/) fail("core." fn "() must RETURN a whole number, not: " lit)
        decl = "inline constexpr long long " fn " = " lit ";"
    } else if (fntype == "text") {
        if (lit !~ /^'[^']*'$/) fail("core." fn "() must RETURN one quoted text without quotes inside, not: " lit)
        decl = "inline constexpr std::string_view " fn " = " cxx(substr(lit, 2, length(lit) - 2)) ";"
    } else {
        if (lit !~ /^ARRAY\[.*\]$/) fail("core." fn "() must RETURN ARRAY['text', ...], not: " lit)
        n = split(substr(lit, 7, length(lit) - 7), items, /,/)
        decl = "inline constexpr std::string_view " fn "[] = {"
        for (k = 1; k <= n; k++) {
            item = items[k]; gsub(/^[ \t]+|[ \t]+$/, "", item)
            if (item !~ /^'[^']*'$/) fail("core." fn "(): cannot read array element " item)
            decl = decl (k > 1 ? ", " : "") cxx(substr(item, 2, length(item) - 2))
        }
        decl = decl "};"
    }
    if (!(fn in constants)) corder[++nconstants] = fn
    constants[fn] = decl
    fn = ""
}
FNR == 1 { if (fn != "") fail("statement CREATE FUNCTION core." fn " does not end in its file") }
fn == "" && table == "" && /^CREATE (OR REPLACE )?FUNCTION core\.[a-z_]+\(\) RETURNS (text\[\]|text|integer) / {
    fn = $0; sub(/^CREATE (OR REPLACE )?FUNCTION core\./, "", fn); sub(/\(.*/, "", fn)
    fntype = $0; sub(/^[^)]*\) RETURNS /, "", fntype); sub(/ .*/, "", fntype)
    body = $0
    if ($0 ~ /;[ \t]*$/) constant(body)
    next
}
fn != "" { body = body " " $0; if ($0 ~ /;[ \t]*$/) constant(body); next }
FNR == 1 { if (table != "") fail("statement INSERT INTO core." table " does not end in its file") }
table == "" && /^INSERT INTO core\.[a-z_]+ \([a-z_, ]+\) VALUES/ {
    table = $0; sub(/^INSERT INTO core\./, "", table); sub(/ .*/, "", table)
    if (table in ncols) fail("core." table " is filled by two statements")
    order[++ntables] = table
    cols = $0; sub(/^[^(]*\(/, "", cols); sub(/\).*/, "", cols)
    ncols[table] = split(cols, names, /, */)
    for (k = 1; k <= ncols[table]; k++) columns[table, k] = names[k]
    rest = $0; sub(/^[^)]*\) VALUES/, "", rest)
    if (scan(rest)) table = ""
    next
}
table != "" { if (scan($0)) table = "" }
END {
    if (failed) exit 1
    if (out == "") { print "sql_rows.awk: -v out=FILE is required" > "/dev/stderr"; exit 1 }
    if (table != "") fail("statement INSERT INTO core." table " does not end")
    if (fn != "") fail("statement CREATE FUNCTION core." fn " does not end")
    nreq = split(require, required, / +/)
    for (k = 1; k <= nreq; k++) {
        if (!(required[k] in ncols) && !(required[k] in constants) || (required[k] in ncols) && nrows[required[k]] == 0) {
            printf "sql_rows.awk: found neither rows of core.%s (INSERT INTO core.%s (columns) VALUES ...) nor a constant function core.%s() in the SQL files\n",
                   required[k], required[k], required[k] > "/dev/stderr"
            exit 1
        }
    }
    print "// Generated by src/shared/sql_rows.awk from the SQL files named in CMakeLists.txt: do not edit." > out
    print "#pragma once\n#include <string_view>\n\nnamespace subctl::sql {" > out
    for (t = 1; t <= ntables; t++) {
        name = order[t]
        printf "\nstruct %s_row {\n", name > out
        for (k = 1; k <= ncols[name]; k++) {
            kind = types[name, k]
            printf "    %s %s;\n", kind == "s" ? "std::string_view" : kind == "n" ? "long long" : "bool", columns[name, k] > out
        }
        printf "};\ninline constexpr %s_row %s[] = {\n", name, name > out
        for (r = 1; r <= nrows[name]; r++) printf "    {%s},\n", rows[name, r] > out
        print "};" > out
    }
    if (nconstants > 0) print "" > out
    for (t = 1; t <= nconstants; t++) print constants[corder[t]] > out
    print "\n}  // namespace subctl::sql" > out
}
