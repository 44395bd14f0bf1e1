#!/usr/bin/env python3
"""Offline lint of the Grafana dashboards and Prometheus alerting rules shipped in charts/.

usage: check-dashboard.py [--list-metrics | --self-test] [FILE ...]

FILE is a dashboard (*.json) or a rules file (*.yaml, *.yml); the default is every
charts/*/dashboards/*.json and charts/*/alerts.yaml of the repository.

Dashboards: valid JSON, schemaVersion >= 36, a fixed non-empty uid (unique across files), no
"__inputs", no "${DS_" anywhere, a `datasource` variable of type datasource, every panel, target
and query variable datasource {"type": "prometheus", "uid": "${datasource}"}, unique panel ids
(rows' nested panels included), gridPos inside the 24-column grid, a non-empty expr in every
target and only defined variables in expressions. Rules: every rule has alert, expr, for, a
severity label and a summary annotation. Every PromQL expression must parse: the dashboard's,
with Grafana variables replaced by placeholders, are written as recording rules to a temporary
file and checked with `promtool check rules`; the rules files are checked with promtool as they
are.

--list-metrics prints every metric name the files query, sorted and unique, as written
(histogram series with their _bucket/_sum/_count suffix). --self-test checks the extractor.

Exit status: 0 when everything passes, 1 otherwise (each problem is printed on stderr).
"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROMTOOL = "promtool"
MIN_SCHEMA_VERSION = 36
DATASOURCE_REF = {"type": "prometheus", "uid": "${datasource}"}

# Grafana's global variables; the others must be defined in templating.list.
GRAFANA_BUILTINS = {
    "__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms",
    "__dashboard", "__from", "__to", "__name", "__org", "__user", "__all", "timeFilter",
    "__timeFilter",
}
# Placeholders used when the expressions are handed to promtool.
DURATION_PLACEHOLDERS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}
NUMBER_PLACEHOLDERS = {"__interval_ms": "60000", "__range_s": "3600", "__range_ms": "3600000"}

# $name, ${name}, ${name:format}, ${name.field}, [[name]], [[name:format]]
VARIABLE_RE = re.compile(
    r"\$\{(?P<braced>[A-Za-z0-9_]+)(?:[.:][^}]*)?\}"
    r"|\[\[(?P<bracketed>[A-Za-z0-9_]+)(?::[^\]]*)?\]\]"
    r"|\$(?P<plain>[A-Za-z_][A-Za-z0-9_]*)")  # not $1, a label_replace group reference

# ---------------------------------------------------------------------------------------------
# PromQL metric-name extraction
# ---------------------------------------------------------------------------------------------

# Words the Prometheus lexer treats as keywords (never metric names, with or without "(").
AGGREGATORS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk",
    "topk", "quantile", "limitk", "limit_ratio",
}
KEYWORDS = AGGREGATORS | {
    "and", "or", "unless", "atan2", "by", "without", "on", "ignoring", "group_left",
    "group_right", "bool", "offset", "start", "end", "step",
}
# Keywords followed by a parenthesised list of label names.
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}

IDENT_RE = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
DURATION_RE = re.compile(r"(?:[0-9]+(?:ms|[smhdwy]))+(?![A-Za-z0-9_:])")
NUMBER_RE = re.compile(
    r"0[xX][0-9a-fA-F]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
SPECIAL_NUMBERS = {"inf", "nan"}


class PromQLScanError(ValueError):
    pass


def _skip_string(expr, i):
    """Returns the index after the string literal starting at expr[i]."""
    quote = expr[i]
    j = i + 1
    while j < len(expr):
        if expr[j] == "\\" and quote != "`":
            j += 2
            continue
        if expr[j] == quote:
            return j + 1
        j += 1
    raise PromQLScanError("unterminated string starting at column %d" % (i + 1))


def _skip_space(expr, i):
    while i < len(expr):
        if expr[i].isspace():
            i += 1
        elif expr[i] == "#":
            while i < len(expr) and expr[i] != "\n":
                i += 1
        else:
            break
    return i


def _skip_group(expr, i, opening, closing):
    """expr[i] is `opening`; returns the index after the matching `closing` (strings skipped)."""
    depth = 0
    j = i
    while j < len(expr):
        c = expr[j]
        if c in "\"'`":
            j = _skip_string(expr, j)
            continue
        if c == "#":
            j = _skip_space(expr, j)
            continue
        if c == opening:
            depth += 1
        elif c == closing:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise PromQLScanError("unbalanced %r at column %d" % (opening, i + 1))


def _unquote(lit):
    """The value of a PromQL string literal ("...", '...' or `...`)."""
    if lit[0] == "`":
        return lit[1:-1]
    body = lit[1:-1]
    if lit[0] == "'":
        body = body.replace("\\'", "'").replace('"', '\\"')
    return json.loads('"%s"' % body)


def _name_from_matchers(body):
    """The metric name given as {__name__="x"} inside a matcher list, or None."""
    m = re.search(r'(?:^|[{,\s])__name__\s*=\s*("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`)',
                  body)
    return _unquote(m.group(1)) if m else None


def extract_metrics(expr):
    """Metric names selected by a PromQL expression, in order of appearance (duplicates kept).

    A scanner, not a parser: identifiers are metric names unless they are keywords, function
    names (followed by "("), label names (inside {} or after by/without/on/ignoring/group_left/
    group_right), numbers or durations. Strings, comments and [range:step] parts are skipped.
    """
    names = []
    i = 0
    n = len(expr)
    parens = []  # columns of the open "("
    while i < n:
        c = expr[i]
        if c == "(":
            parens.append(i)
            i += 1
        elif c == ")":
            if not parens:
                raise PromQLScanError("unexpected ')' at column %d" % (i + 1))
            parens.pop()
            i += 1
        elif c.isspace() or c == "#":
            i = _skip_space(expr, i)
        elif c in "\"'`":
            i = _skip_string(expr, i)
        elif c == "{":
            end = _skip_group(expr, i, "{", "}")
            name = _name_from_matchers(expr[i + 1:end - 1])
            if name:
                names.append(name)
            i = end
        elif c == "[":
            i = _skip_group(expr, i, "[", "]")
        elif c.isdigit() or (c == "." and i + 1 < n and expr[i + 1].isdigit()):
            m = DURATION_RE.match(expr, i) or NUMBER_RE.match(expr, i)
            i = m.end()
        elif IDENT_RE.match(expr, i):
            m = IDENT_RE.match(expr, i)
            word = m.group(0)
            i = m.end()
            nxt = _skip_space(expr, i)
            followed_by_paren = nxt < n and expr[nxt] == "("
            if word in LABEL_LIST_KEYWORDS:
                if followed_by_paren:
                    i = _skip_group(expr, nxt, "(", ")")
            elif word in KEYWORDS or word.lower() in SPECIAL_NUMBERS:
                pass
            elif followed_by_paren:
                pass  # a function call; its arguments are scanned next
            else:
                names.append(word)
        else:
            i += 1
    if parens:
        raise PromQLScanError("unclosed '(' at column %d" % (parens[-1] + 1))
    return names


def grafana_query_expr(query):
    """The PromQL part of a Prometheus template-variable query, or None if it has none."""
    if isinstance(query, dict):
        query = query.get("query", "")
    query = (query or "").strip()
    m = re.fullmatch(r"label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)", query, re.S)
    if m:
        return m.group(1).strip()
    m = re.fullmatch(r"(?:query_result|label_names)\((.*)\)", query, re.S)
    if m:
        return m.group(1).strip() or None
    return None  # label_values(label), metrics(regex) and the like select no series


# ---------------------------------------------------------------------------------------------
# Grafana variable substitution
# ---------------------------------------------------------------------------------------------

def variables_in(expr):
    return [m.group("braced") or m.group("bracketed") or m.group("plain")
            for m in VARIABLE_RE.finditer(expr)]


def substitute_variables(expr):
    """Replaces Grafana variables with placeholders so that the expression is plain PromQL.

    Inside strings (label matchers) a variable becomes `.*`; inside [...] and for the interval
    variables it becomes a duration; elsewhere a number.
    """
    out = []
    i = 0
    n = len(expr)
    quote = None
    bracket_depth = 0
    while i < n:
        c = expr[i]
        m = VARIABLE_RE.match(expr, i) if c in "$[" else None
        if m:
            name = m.group("braced") or m.group("bracketed") or m.group("plain")
            if quote is not None:
                out.append(".*")
            elif name in DURATION_PLACEHOLDERS:
                out.append(DURATION_PLACEHOLDERS[name])
            elif name in NUMBER_PLACEHOLDERS:
                out.append(NUMBER_PLACEHOLDERS[name])
            elif bracket_depth > 0:
                out.append("5m")
            else:
                out.append("1")
            i = m.end()
            continue
        if quote is not None:
            if c == "\\" and quote != "`" and i + 1 < n:
                out.append(expr[i:i + 2])
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
        elif c == "[":
            bracket_depth += 1
        elif c == "]":
            bracket_depth = max(0, bracket_depth - 1)
        out.append(c)
        i += 1
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Lints
# ---------------------------------------------------------------------------------------------

class Report:
    def __init__(self):
        self.errors = []

    def error(self, where, message):
        self.errors.append("%s: %s" % (where, message))


class Query:
    """One PromQL expression found in a file, with where it came from."""

    def __init__(self, path, where, expr, promql, name=None):
        self.path = path
        self.where = where
        self.name = name  # the rule's alert or record name
        self.expr = expr  # as written
        self.promql = promql  # after variable substitution


def rel(path):
    try:
        r = os.path.relpath(path)
    except ValueError:
        return path
    return path if r.startswith("..") else r


def walk_panels(panels, parent=None):
    """(panel, row it is nested in or None) for every panel, rows' nested panels included."""
    for p in panels or []:
        if not isinstance(p, dict):
            continue
        yield p, parent
        yield from walk_panels(p.get("panels"), p)


def panel_label(p, parent=None):
    label = "panel id %s (%r)" % (p.get("id"), p.get("title", ""))
    if parent is not None:
        label += " in row id %s" % parent.get("id")
    return label


def lint_dashboard(path, report, uids):
    where = rel(path)
    queries = []
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        report.error(where, "cannot read: %s" % e)
        return queries
    try:
        dash = json.loads(text)
    except json.JSONDecodeError as e:
        report.error(where, "invalid JSON: %s" % e)
        return queries
    if not isinstance(dash, dict):
        report.error(where, "top level is not a JSON object")
        return queries

    if "${DS_" in text:
        line = text[:text.index("${DS_")].count("\n") + 1
        report.error(where, 'line %d: contains a "${DS_" placeholder (an "export for sharing '
                            'externally" leftover; use ${datasource})' % line)
    if "__inputs" in dash:
        report.error(where, 'has "__inputs" (export for sharing externally); provisioning '
                            'cannot resolve them')
    schema = dash.get("schemaVersion")
    if not isinstance(schema, int) or schema < MIN_SCHEMA_VERSION:
        report.error(where, "schemaVersion is %r, want an integer >= %d"
                     % (schema, MIN_SCHEMA_VERSION))
    uid = dash.get("uid")
    if not isinstance(uid, str) or not uid.strip():
        report.error(where, "uid is missing or empty; set a fixed uid")
    else:
        if len(uid) > 40 or not re.fullmatch(r"[A-Za-z0-9_-]+", uid):
            report.error(where, "uid %r must be at most 40 characters of [A-Za-z0-9_-]" % uid)
        if uid in uids:
            report.error(where, "uid %r is also used by %s" % (uid, uids[uid]))
        uids.setdefault(uid, where)
    if dash.get("id") is not None:
        report.error(where, 'id is %r, want null (Grafana assigns it)' % dash.get("id"))

    # Templating.
    templating = dash.get("templating", {}).get("list", [])
    var_names = {v.get("name") for v in templating if isinstance(v, dict)}
    ds_vars = [v for v in templating if isinstance(v, dict) and v.get("name") == "datasource"]
    if not ds_vars:
        report.error(where, 'no template variable named "datasource"')
    for v in ds_vars:
        if v.get("type") != "datasource":
            report.error(where, 'variable "datasource" has type %r, want "datasource"'
                         % v.get("type"))
        if v.get("query") != "prometheus":
            report.error(where, 'variable "datasource" has query %r, want "prometheus"'
                         % v.get("query"))
    for v in templating:
        if not isinstance(v, dict) or v.get("type") != "query":
            continue
        vwhere = "%s: variable %r" % (where, v.get("name"))
        if v.get("datasource") != DATASOURCE_REF:
            report.error(vwhere, "datasource is %s, want %s"
                         % (json.dumps(v.get("datasource")), json.dumps(DATASOURCE_REF)))
        expr = grafana_query_expr(v.get("query"))
        if expr:
            queries.append(Query(path, vwhere, expr, substitute_variables(expr)))

    # Panels.
    ids = {}
    for p, parent in walk_panels(dash.get("panels")):
        pwhere = "%s: %s" % (where, panel_label(p, parent))
        pid = p.get("id")
        if not isinstance(pid, int) or isinstance(pid, bool):
            report.error(pwhere, "panel id must be an integer")
        elif pid in ids:
            report.error(pwhere, "duplicate panel id (also %r)" % ids[pid])
        else:
            ids[pid] = p.get("title", "")
        is_row = p.get("type") == "row"

        grid = p.get("gridPos")
        if not isinstance(grid, dict) or not all(
                isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")):
            report.error(pwhere, "gridPos needs integer x, y, w and h")
        elif grid["x"] < 0 or grid["y"] < 0 or grid["w"] < 1 or grid["h"] < 1 or \
                grid["x"] + grid["w"] > 24:
            report.error(pwhere, "gridPos %s is outside the 24-column grid" % json.dumps(grid))

        if is_row and not p.get("targets"):
            if "datasource" in p and p["datasource"] not in (None, DATASOURCE_REF):
                report.error(pwhere, "datasource is %s, want %s"
                             % (json.dumps(p["datasource"]), json.dumps(DATASOURCE_REF)))
            continue
        if p.get("datasource") != DATASOURCE_REF:
            report.error(pwhere, "datasource is %s, want %s"
                         % (json.dumps(p.get("datasource")), json.dumps(DATASOURCE_REF)))
        targets = p.get("targets") or []
        if not targets:
            report.error(pwhere, "has no targets")
        refids = set()
        for t in targets:
            twhere = "%s target %s" % (pwhere, t.get("refId", "?"))
            if t.get("refId") in refids:
                report.error(twhere, "duplicate refId")
            refids.add(t.get("refId"))
            if t.get("datasource") != DATASOURCE_REF:
                report.error(twhere, "datasource is %s, want %s"
                             % (json.dumps(t.get("datasource")), json.dumps(DATASOURCE_REF)))
            expr = t.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                report.error(twhere, "expr is missing or empty")
                continue
            for name in variables_in(expr):
                if name not in var_names and name not in GRAFANA_BUILTINS:
                    report.error(twhere, "uses undefined variable $%s" % name)
            queries.append(Query(path, twhere, expr, substitute_variables(expr)))
    check_overlaps(where, dash.get("panels") or [], report)
    for p in dash.get("panels") or []:
        if isinstance(p, dict) and p.get("type") == "row" and p.get("panels"):
            check_overlaps(where, p["panels"], report)  # a collapsed row's own layout
    return queries


def check_overlaps(where, panels, report):
    """Panels laid out together (top level, or inside one collapsed row) must not overlap."""
    cells = {}
    for p in panels:
        grid = p.get("gridPos") if isinstance(p, dict) else None
        if not isinstance(grid, dict) or not all(
                isinstance(grid.get(k), int) for k in ("x", "y", "w", "h")):
            continue  # reported already
        hit = None
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                if hit is None and (x, y) in cells:
                    hit = cells[(x, y)]
                cells[(x, y)] = p.get("id")
        if hit is not None:
            report.error("%s: %s" % (where, panel_label(p)), "gridPos overlaps panel id %s" % hit)


def lint_rules(path, report):
    where = rel(path)
    queries = []
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        report.error(where, "cannot load YAML: %s" % e)
        return queries
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(groups, list) or not groups:
        report.error(where, 'want a "groups:" list')
        return queries
    for g in groups:
        gname = g.get("name") if isinstance(g, dict) else None
        for k, rule in enumerate((g or {}).get("rules") or [], 1):
            if not isinstance(rule, dict):
                report.error(where, "group %r rule %d is not a mapping" % (gname, k))
                continue
            if "record" in rule:
                rwhere = "%s: recording rule %r" % (where, rule["record"])
            else:
                rwhere = "%s: alert %r" % (where, rule.get("alert", "#%d of group %r"
                                                                 % (k, gname)))
                if not rule.get("alert"):
                    report.error(rwhere, "has no alert name")
                if "for" not in rule:
                    report.error(rwhere, 'has no "for"')
                labels = rule.get("labels") or {}
                if labels.get("severity") not in ("warning", "critical"):
                    report.error(rwhere, "labels.severity is %r, want warning or critical"
                                 % labels.get("severity"))
                annotations = rule.get("annotations") or {}
                if not str(annotations.get("summary", "")).strip():
                    report.error(rwhere, "has no summary annotation")
                if not str(annotations.get("description", "")).strip():
                    report.error(rwhere, "has no description annotation")
            expr = rule.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                report.error(rwhere, "expr is missing or empty")
                continue
            queries.append(Query(path, rwhere, expr, expr, rule.get("alert") or rule.get("record")))
    return queries


def find_promtool(report):
    tool = shutil.which(PROMTOOL)
    if tool is None:
        report.error("promtool", "not found in PATH; install Debian's `prometheus` package "
                                 "(apt-get install prometheus), which ships /usr/bin/promtool")
    return tool


def run_promtool(tool, args):
    proc = subprocess.run([tool, "check", "rules"] + args, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)
    return proc.returncode, proc.stdout


def check_with_promtool(tool, dashboard_queries, rules_files, report):
    if dashboard_queries:
        records = {}
        groups = []
        for k, q in enumerate(dashboard_queries):
            record = "check_dashboard:query_%d" % k
            records[record] = q
            groups.append({"name": "query %d" % k, "rules": [{"record": record,
                                                                "expr": q.promql}]})
        fd, tmp = tempfile.mkstemp(prefix="check-dashboard-", suffix=".rules.yaml")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                yaml.safe_dump({"groups": groups}, f, sort_keys=False, width=1000)
            rc, out = run_promtool(tool, ["--lint=none", tmp])
        finally:
            os.unlink(tmp)
        if rc != 0:
            reported = False
            for line in out.splitlines():
                m = re.search(r'"(check_dashboard:query_\d+)": (.*)', line)
                if m and m.group(1) in records:
                    q = records[m.group(1)]
                    report.error(q.where, "%s\n    expr: %s" % (m.group(2), q.expr))
                    reported = True
            if not reported:
                report.error("promtool", "check of dashboard expressions failed:\n" + out)
    for path in rules_files:
        rc, out = run_promtool(tool, ["--lint=all", "--lint-fatal", path])
        if rc != 0:
            report.error(rel(path), "promtool check rules failed:\n" +
                         "\n".join("    " + line for line in out.splitlines() if line.strip()))


def default_files():
    files = sorted(glob.glob(os.path.join(ROOT, "charts", "*", "dashboards", "*.json")))
    files += sorted(glob.glob(os.path.join(ROOT, "charts", "*", "alerts.yaml")))
    return files


def collect(files, report):
    uids = {}
    dashboard_queries, rules_queries, rules_files = [], [], []
    for path in files:
        if path.endswith(".json"):
            dashboard_queries += lint_dashboard(path, report, uids)
        elif path.endswith((".yaml", ".yml")):
            rules_queries += lint_rules(path, report)
            rules_files.append(path)
        else:
            report.error(rel(path), "not a dashboard (.json) or rules file (.yaml)")
    return dashboard_queries, rules_queries, rules_files


def list_metrics(queries, report):
    names = set()
    for q in queries:
        try:
            names.update(extract_metrics(q.promql))
        except PromQLScanError as e:
            report.error(q.where, "cannot scan expr: %s" % e)
    return sorted(names)


# ---------------------------------------------------------------------------------------------
# Self-test
# ---------------------------------------------------------------------------------------------

SELF_TEST_EXTRACT = [
    ('histogram_quantile(0.99, sum by (le, verb) (rate(gantry_api_request_duration_seconds_bucket'
     '{code=~"5..", verb!="GET"}[5m])))', ["gantry_api_request_duration_seconds_bucket"]),
    ("rate(x_sum[5m]) / rate(x_count[5m])", ["x_sum", "x_count"]),
    ("sum(rate(a_total[5m] offset 1h)) without (instance) / on (cluster) group_left (zone) b",
     ["a_total", "b"]),
    ("a * ignoring(le) group_right() c > bool 0.5", ["a", "c"]),
    ("count_values(\"value\", foo) and bar unless baz or bool_metric",
     ["foo", "bar", "baz", "bool_metric"]),
    ('{__name__="named_metric", job="x"}', ["named_metric"]),
    ('label_replace(up, "dst", "$1", "src", "(.*)")', ["up"]),
    ("max_over_time(deriv(g[5m] offset -1h30m)[1h:1m])", ["g"]),
    ("1e3 * foo > Inf or NaN < bar - 0x1F", ["foo", "bar"]),
    ("topk(5, sum by(instance)(x)) # a comment naming not_a_metric\n+ y",
     ["x", "y"]),
    ("time() - process_start_time_seconds @ start()", ["process_start_time_seconds"]),
    ("sum(level:recorded:rate5m) by (job)", ["level:recorded:rate5m"]),
    ('sum without(le)(q{label="by (sum_of_label)", other=\'x\\\'y\'})', ["q"]),
    ("vector(0) + scalar(s) * pi()", ["s"]),
    ("absent(up{job=\"gantry\"}) or on() vector(1)", ["up"]),
    ("quantile(0.9, m) by (by_label)", ["m"]),
    ("sum by (zone) (max by (cluster, zone) (gantry_cluster_cpu_registered_units{cluster=~\".*\"}))",
     ["gantry_cluster_cpu_registered_units"]),
]

SELF_TEST_SUBSTITUTE = [
    ('rate(m{cluster=~"$cluster"}[$__rate_interval])', 'rate(m{cluster=~".*"}[5m])'),
    ('rate(m{cluster=~"${cluster:regex}", x="[[x]]"}[${__interval}])',
     'rate(m{cluster=~".*", x=".*"}[1m])'),
    ("increase(m[$__range]) / $__range_s", "increase(m[1h]) / 3600"),
    ("avg_over_time(m[$window]) * $factor", "avg_over_time(m[5m]) * 1"),
    ('m{a="\\"$v\\""}[5m:1m]', 'm{a="\\".*\\""}[5m:1m]'),
]

SELF_TEST_QUERIES = [
    ("label_values(gantry_container_instances, cluster)", "gantry_container_instances"),
    ('label_values(up{job="x"}, instance)', 'up{job="x"}'),
    ("label_values(cluster)", None),
    ({"query": "query_result(sum(m))", "refId": "A"}, "sum(m)"),
]


def self_test():
    failures = []
    for expr, want in SELF_TEST_EXTRACT:
        got = extract_metrics(expr)
        if got != want:
            failures.append("extract_metrics(%r) = %r, want %r" % (expr, got, want))
    for expr, want in SELF_TEST_SUBSTITUTE:
        got = substitute_variables(expr)
        if got != want:
            failures.append("substitute_variables(%r) = %r, want %r" % (expr, got, want))
    for query, want in SELF_TEST_QUERIES:
        got = grafana_query_expr(query)
        if got != want:
            failures.append("grafana_query_expr(%r) = %r, want %r" % (query, got, want))
    if variables_in('m{a=~"$a|${b}|[[c]]"}[$__rate_interval]') != ["a", "b", "c",
                                                                   "__rate_interval"]:
        failures.append("variables_in misses a variable form")
    for bad in ('m{a="x}', "sum(m", "m[5m", "sum(m))"):
        try:
            extract_metrics(bad)
            failures.append("extract_metrics(%r) did not fail" % bad)
        except PromQLScanError:
            pass

    # Every expression must also be valid PromQL, which promtool decides.
    report = Report()
    tool = find_promtool(report)
    if tool:
        queries = [Query("self-test", "self-test expr %d" % k, e, substitute_variables(e))
                   for k, (e, _) in enumerate(SELF_TEST_EXTRACT + SELF_TEST_SUBSTITUTE)]
        check_with_promtool(tool, queries, [], report)
        # And promtool must reject what the lint is meant to catch.
        bad = Report()
        check_with_promtool(tool, [Query("self-test", "bad expr", "sum(rate(m[5m])",
                                         "sum(rate(m[5m])")], [], bad)
        if not bad.errors:
            failures.append("promtool accepted an unbalanced expression")
    failures += report.errors

    for f in failures:
        print("self-test: FAIL: %s" % f, file=sys.stderr)
    if failures:
        return 1
    print("self-test: %d extraction, %d substitution and %d variable-query cases passed"
          % (len(SELF_TEST_EXTRACT), len(SELF_TEST_SUBSTITUTE), len(SELF_TEST_QUERIES)))
    return 0


# ---------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--list-metrics", action="store_true",
                      help="print every metric name queried, one per line")
    mode.add_argument("--self-test", action="store_true", help="test the metric extractor")
    parser.add_argument("files", nargs="*", help="dashboards (*.json) and rules files (*.yaml)")
    args = parser.parse_args()

    if args.self_test:
        return self_test()

    files = args.files or default_files()
    if not files:
        print("check-dashboard: no dashboards or rules files found under %s/charts" % ROOT,
              file=sys.stderr)
        return 1
    report = Report()
    dashboard_queries, rules_queries, rules_files = collect(files, report)

    if args.list_metrics:
        names = list_metrics(dashboard_queries + rules_queries, report)
        for e in report.errors:
            print("check-dashboard: %s" % e, file=sys.stderr)
        if report.errors:
            return 1
        print("\n".join(names))
        return 0

    tool = find_promtool(report)
    if tool:
        check_with_promtool(tool, dashboard_queries, rules_files, report)
    # An expression --list-metrics cannot scan is a problem too, unless promtool rejected it.
    for q in dashboard_queries + rules_queries:
        try:
            extract_metrics(q.promql)
        except PromQLScanError as e:
            if not any(e_.startswith(q.where + ":") or
                       (q.name and '"%s"' % q.name in e_) for e_ in report.errors):
                report.error(q.where, "cannot scan expr: %s" % e)
    for e in report.errors:
        print("check-dashboard: %s" % e, file=sys.stderr)
    if report.errors:
        print("check-dashboard: %d problem(s) in %d file(s)" % (len(report.errors), len(files)),
              file=sys.stderr)
        return 1
    print("check-dashboard: OK: %d file(s), %d dashboard and %d rule expressions"
          % (len(files), len(dashboard_queries), len(rules_queries)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
