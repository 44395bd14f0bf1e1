#!/usr/bin/env python3
"""Offline checks of the Helm chart charts/gantry (no helm, no cluster, no network but npm).

  scripts/check-chart.py [--chart DIR] [--update-golden] [--node-modules DIR]

1. yamllint (Debian `yamllint`) on Chart.yaml, values.yaml and ci/*.yaml with the chart's .yamllint.
2. values.yaml, each ci/*-values.yaml, and each merged with values.yaml (what helm validates),
   against values.schema.json (draft-07, python3-jsonschema); and every key the schema declares
   has a comment in values.yaml and a row in README.md.
3. Chart.yaml against chart-testing's chart_schema.yaml (mirrored below) and stricter rules:
   apiVersion v2, SemVer 2 version, type, appVersion a string.
4. The templates rendered for each ci/*-values.yaml by the restricted Go-template renderer below
   (release "gantry", namespace "default"; a ci file line `# check-chart: api-versions=A,B` adds
   API versions to .Capabilities; strict like `helm lint --strict`: a values path that does not
   exist is an error), every document parsed as YAML (duplicate keys are errors),
   and compared with charts/gantry/tests/golden/<ci file> (--update-golden rewrites them).
5. Every rendered document validated against its kind's schema by scripts/validate-k8s.mjs
   (npm kubernetes-models and @kubernetes-models/prometheus-operator, installed once under
   build/chart-check), including unknown fields; plus sanity checks: name lengths, standard
   labels, selectors matching pod labels, Service/ServiceMonitor/RBAC references.

Exit 0 when everything passes, 1 with one message per problem naming file and line or path.

The renderer is an approximation of Helm (Go text/template + sprig): it supports exactly the
functions in FUNCTIONS and fails on anything else. Like Helm it reads numbers in values as
float64 (so `printf "%d"` needs `int`, and 1000000 prints as 1e+06). Real `helm lint`,
`helm template` and `ct lint` remain the reference; run them where helm exists (README.md).
"""
import os
import sys


def _reexec_if_needed():
    try:
        import jsonschema  # noqa: F401
        import yaml  # noqa: F401
        return
    except ImportError as e:
        missing = e.name
    system = "/usr/bin/python3"
    if os.path.realpath(sys.executable) != os.path.realpath(system) and os.path.exists(system):
        if os.environ.get("CHECK_CHART_REEXEC") != "1":
            os.environ["CHECK_CHART_REEXEC"] = "1"
            os.execv(system, [system] + sys.argv)
    sys.exit(f"check-chart: python module '{missing}' is missing: "
             "apt-get install python3-yaml python3-jsonschema (and run with /usr/bin/python3)")


_reexec_if_needed()

import argparse  # noqa: E402
import base64  # noqa: E402
import copy  # noqa: E402
import decimal  # noqa: E402
import difflib  # noqa: E402
import fnmatch  # noqa: E402
import glob  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

import jsonschema  # noqa: E402
import yaml  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE_NAME = "gantry"
RELEASE_NAMESPACE = "default"
NPM_PACKAGES = ["kubernetes-models@5.1.0", "@kubernetes-models/prometheus-operator@6.0.0"]

# API versions a cluster without CRDs serves (what Helm's default capabilities list holds).
BUILTIN_API_VERSIONS = [
    "v1", "apps/v1", "batch/v1", "autoscaling/v1", "autoscaling/v2", "policy/v1",
    "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1",
    "scheduling.k8s.io/v1", "coordination.k8s.io/v1", "discovery.k8s.io/v1",
    "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1", "apiregistration.k8s.io/v1",
    "certificates.k8s.io/v1", "events.k8s.io/v1", "node.k8s.io/v1",
    "authentication.k8s.io/v1", "authorization.k8s.io/v1",
]


class Problems:
    def __init__(self):
        self.items = []

    def add(self, where, message):
        self.items.append(f"{where}: {message}")

    def __len__(self):
        return len(self.items)


def rel(path):
    return os.path.relpath(path, REPO)


# ---------------------------------------------------------------------------------------------
# YAML helpers: line numbers for paths, duplicate keys as errors, numbers as Helm reads them.


class UniqueKeyLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(text):
    return yaml.load(text, Loader=UniqueKeyLoader)


def line_of(text, path):
    """1-based line of the node at `path` (keys and indexes) in YAML text, or None."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == part:
                    line, node = k.start_mark.line + 1, v
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def as_helm_numbers(value):
    """Helm reads values through JSON: every number is a float64."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {k: as_helm_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_helm_numbers(v) for v in value]
    return value


def path_str(path):
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out or "(top level)"


# ---------------------------------------------------------------------------------------------
# A restricted Go text/template engine with the sprig/Helm functions the chart uses.


class RenderError(Exception):
    pass


class NoValue:
    """A missing map key: prints as "" (Helm replaces "<no value>"), is false, and like a nil
    interface cannot have fields taken from it."""

    def __repr__(self):
        return "<no value>"


NO_VALUE = NoValue()


def is_nil(v):
    return v is None or v is NO_VALUE


def truth(v):
    if is_nil(v):
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    if isinstance(v, (str, list, dict, tuple)):
        return len(v) > 0
    return True


def go_float(f):
    """fmt's %v for a float64 (strconv 'g', shortest): 7700 -> "7700", 1e6 -> "1e+06"."""
    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "0"
    sign = "-" if f < 0 else ""
    d = decimal.Decimal(repr(abs(f)))
    _, digits, exponent = d.as_tuple()
    digs = "".join(map(str, digits)).rstrip("0") or "0"
    dp = len(digits) + exponent  # position of the decimal point relative to the digits
    exp = dp - 1
    if exp < -4 or exp >= 6:
        mant = digs[0] + ("." + digs[1:] if len(digs) > 1 else "")
        return f"{sign}{mant}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if dp <= 0:
        return f"{sign}0.{'0' * -dp}{digs}"
    if dp >= len(digs):
        return sign + digs + "0" * (dp - len(digs))
    return f"{sign}{digs[:dp]}.{digs[dp:]}"


def go_str(v):
    """fmt.Sprint of one value, as Go templates print it."""
    if is_nil(v):
        return ""  # "<no value>", which Helm removes from the output
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return "[" + " ".join(go_str(x) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_str(v[k])}" for k in sorted(v)) + "]"
    if isinstance(v, GoStruct):
        return "{" + v.name + "}"
    raise RenderError(f"cannot print a {type(v).__name__}")


def go_quote(s):
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class GoStruct:
    """A Go struct (Release, Chart, Capabilities, Files): unknown fields are errors."""

    def __init__(self, name, fields):
        self.name = name
        self.fields = fields

    def get(self, field):
        if field not in self.fields:
            raise RenderError(f"can't evaluate field {field} in type {self.name}")
        return self.fields[field]


class Method:
    def __init__(self, name, fn):
        self.name = name
        self.fn = fn

    def __call__(self, *args):
        return self.fn(*args)


class _YamlDumper(yaml.SafeDumper):
    """Writes YAML the way Helm's toYaml (sigs.k8s.io/yaml over go-yaml v2) does: keys in
    go-yaml's order, 80-column folding, double quotes on strings that would read as another
    type ("true", "1"), literal blocks for multi-line strings."""


def _str_representer(dumper, data):
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    if dumper.resolve(yaml.ScalarNode, data, (True, False)) != "tag:yaml.org,2002:str":
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


def _go_key_less(a, b):
    """go-yaml v2's keyList.Less for two strings: letters after other characters, digit runs
    compared as numbers."""
    ar, br = list(a), list(b)
    for i in range(min(len(ar), len(br))):
        if ar[i] == br[i]:
            continue
        al, bl = ar[i].isalpha(), br[i].isalpha()
        if al and bl:
            return ar[i] < br[i]
        if al or bl:
            return bl
        an = bn = 0
        if ar[i] == "0" or br[i] == "0":
            j = i - 1
            while j >= 0 and ar[j].isdigit():
                if ar[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(ar) and ar[ai].isdigit():
            an = an * 10 + int(ar[ai])
            ai += 1
        bi = i
        while bi < len(br) and br[bi].isdigit():
            bn = bn * 10 + int(br[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ar[i] < br[i]
    return len(ar) < len(br)


def _go_key_order(keys):
    import functools

    def cmp(x, y):
        x, y = str(x), str(y)
        return -1 if _go_key_less(x, y) else (1 if _go_key_less(y, x) else 0)
    return sorted(keys, key=functools.cmp_to_key(cmp))


def _dict_representer(dumper, data):
    return dumper.represent_mapping("tag:yaml.org,2002:map",
                                    [(k, data[k]) for k in _go_key_order(data)])


def _float_representer(dumper, data):
    # sigs.k8s.io/yaml goes through JSON: a whole float64 is written as an integer.
    if data == int(data) and abs(data) < 2 ** 53:
        return dumper.represent_int(int(data))
    return dumper.represent_float(data)


_YamlDumper.add_representer(str, _str_representer)
_YamlDumper.add_representer(float, _float_representer)
_YamlDumper.add_representer(dict, _dict_representer)


def to_yaml(v):
    if is_nil(v):
        return "null"
    text = yaml.dump(v, Dumper=_YamlDumper, default_flow_style=False, sort_keys=False,
                     allow_unicode=True, width=80)
    if text.endswith("\n...\n"):  # a bare scalar
        text = text[: -len("...\n")]
    return text[:-1] if text.endswith("\n") else text


def empty(v):
    return not truth(v)


def strval(v):
    return v if isinstance(v, str) else go_str(v)


def go_printf(fmt, *args):
    out, i, ai = [], 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        i += 1
        if i >= len(fmt):
            raise RenderError("printf: format ends with %")
        verb = fmt[i]
        i += 1
        if verb == "%":
            out.append("%")
            continue
        if ai >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        a = args[ai]
        ai += 1
        if verb == "s":
            if isinstance(a, (str,)) or is_nil(a):
                out.append(go_str(a))
            else:
                raise RenderError(f"printf %s of a {type(a).__name__} ({a!r}): Helm prints "
                                  f"%!s(...); convert it first")
        elif verb == "d":
            if isinstance(a, int) and not isinstance(a, bool):
                out.append(str(a))
            else:
                raise RenderError(f"printf %d of a {type(a).__name__} ({a!r}): values are "
                                  f"float64 in Helm, use (int ...)")
        elif verb == "v":
            out.append(go_str(a))
        elif verb == "q":
            out.append(go_quote(strval(a)))
        else:
            raise RenderError(f"printf verb %{verb} is not supported by this renderer")
    if ai < len(args):
        raise RenderError(f"printf: {len(args) - ai} argument(s) too many for {fmt!r}")
    return "".join(out)


def go_print(*args):
    out = []
    for i, a in enumerate(args):
        if i > 0 and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(go_str(a))
    return "".join(out)


def go_eq(a, *bs):
    if not bs:
        raise RenderError("eq: missing argument for comparison")
    for b in bs:
        for x in (a, b):
            if is_nil(x) or isinstance(x, (list, dict, GoStruct)):
                raise RenderError(f"eq: incompatible or invalid type for comparison ({x!r})")
        num_a = isinstance(a, (int, float)) and not isinstance(a, bool)
        num_b = isinstance(b, (int, float)) and not isinstance(b, bool)
        if num_a and num_b and isinstance(a, float) != isinstance(b, float):
            raise RenderError(f"eq: incompatible types for comparison ({a!r} and {b!r}): values "
                              f"are float64 in Helm")
        if type(a) is not type(b) and not (num_a and num_b):
            raise RenderError(f"eq: incompatible types for comparison ({a!r} and {b!r})")
        if a == b:
            return True
    return False


def sprig_trunc(n, s):
    n = to_int(n)
    if n < 0 and len(s) + n > 0:
        return s[len(s) + n:]
    if n >= 0 and len(s) > n:
        return s[:n]
    return s


def sprig_indent(n, s):
    pad = " " * to_int(n)
    return pad + strval(s).replace("\n", "\n" + pad)


def to_int(v):
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, (int, float)):
        return int(v)
    if isinstance(v, str):
        try:
            return int(v, 10)
        except ValueError:
            try:
                return int(float(v))
            except ValueError:
                return 0
    if is_nil(v):
        return 0
    raise RenderError(f"int: cannot convert {v!r}")


def sprig_ternary(vt, vf, cond):
    if not isinstance(cond, bool):
        raise RenderError(f"ternary: the condition must be a bool, got {cond!r}")
    return vt if cond else vf


def sprig_has_key(d, key):
    if not isinstance(d, dict):
        raise RenderError(f"hasKey: wrong type for value; expected map, got {d!r}")
    return key in d


def sprig_join(sep, v):
    if is_nil(v):
        return ""
    if not isinstance(v, list):
        return strval(v)
    return sep.join(strval(x) for x in v if not is_nil(x))


def helm_required(msg, val):
    if is_nil(val) or (isinstance(val, str) and val == ""):
        raise RenderError(f"execution error: {msg}")
    return val


def helm_fail(msg):
    raise RenderError(f"execution error: {msg}")


def helm_from_yaml(s):
    try:
        v = yaml.safe_load(s)
    except yaml.YAMLError as e:
        return {"Error": str(e)}
    if v is None:
        return {}
    if not isinstance(v, dict):
        return {"Error": "error unmarshaling: not a map"}
    return as_helm_numbers(v)


# name -> (function, whether the renderer passes itself first). Anything else is an error.
FUNCTIONS = {
    "default": lambda d, *given: d if (not given or empty(given[0])) else given[0],
    "quote": lambda *a: " ".join(go_quote(strval(x)) for x in a if not is_nil(x)),
    "squote": lambda *a: " ".join("'" + strval(x) + "'" for x in a if not is_nil(x)),
    "toYaml": to_yaml,
    "fromYaml": helm_from_yaml,
    "nindent": lambda n, s: "\n" + sprig_indent(n, s),
    "indent": sprig_indent,
    "trunc": sprig_trunc,
    "trimSuffix": lambda suf, s: s[: -len(suf)] if suf and s.endswith(suf) else s,
    "replace": lambda old, new, s: s.replace(old, new),
    "contains": lambda sub, s: sub in s,
    "printf": go_printf,
    "print": go_print,
    "required": helm_required,
    "fail": helm_fail,
    "b64enc": lambda s: base64.b64encode(strval(s).encode()).decode(),
    "sha256sum": lambda s: hashlib.sha256(strval(s).encode()).hexdigest(),
    "ternary": sprig_ternary,
    "hasKey": sprig_has_key,
    "join": sprig_join,
    "int": to_int,
    "eq": go_eq,
    "ne": lambda a, b: not go_eq(a, b),
    "not": lambda a: not truth(a),
    # and, or, include and template are handled by the evaluator itself.
}
SPECIAL_FUNCTIONS = {"and", "or", "include"}


# --- lexing ---------------------------------------------------------------------------------

class Action:
    def __init__(self, text, line):
        self.text = text
        self.line = line


def split_template(src, name):
    """Text and actions, with {{- and -}} trimming applied."""
    parts = []
    i = 0
    line = 1
    trim_next = False
    while True:
        j = src.find("{{", i)
        if j < 0:
            text = src[i:]
            if trim_next:
                text = text.lstrip(" \t\r\n")
            parts.append(text)
            break
        text = src[i:j]
        left_trim = src.startswith("{{- ", j) or src.startswith("{{-\t", j) or \
            src.startswith("{{-\n", j)
        if trim_next:
            text = text.lstrip(" \t\r\n")
        if left_trim:
            text = text.rstrip(" \t\r\n")
        parts.append(text)
        line += src.count("\n", i, j)
        k = j + (3 if left_trim else 2)
        # find the closing }} outside string literals and comments
        p = k
        while True:
            if p >= len(src):
                raise RenderError(f"{name}:{line}: unclosed action")
            c = src[p]
            if src.startswith("/*", p):
                q = src.find("*/", p + 2)
                if q < 0:
                    raise RenderError(f"{name}:{line}: unclosed comment")
                p = q + 2
                continue
            if c == '"':
                p += 1
                while p < len(src) and src[p] != '"':
                    if src[p] == "\\":
                        p += 1
                    if src[p] == "\n":
                        raise RenderError(f"{name}:{line}: newline in string")
                    p += 1
                p += 1
                continue
            if c == "`":
                q = src.find("`", p + 1)
                if q < 0:
                    raise RenderError(f"{name}:{line}: unclosed raw string")
                p = q + 1
                continue
            if src.startswith(" -}}", p) or src.startswith("\t-}}", p) or \
                    src.startswith("\n-}}", p):
                inner, end, trim_next = src[k:p], p + 4, True
                break
            if src.startswith("}}", p):
                inner, end, trim_next = src[k:p], p + 2, False
                break
            p += 1
        parts.append(Action(inner.strip(), line))
        line += src.count("\n", j, end)
        i = end
    return parts


TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<declare>:=)
  | (?P<assign>=)
  | (?P<pipe>\|)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<variable>\$[A-Za-z0-9_]*)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
""", re.VERBOSE)


def tokenize(text, where):
    toks = []
    pos = 0
    while pos < len(text):
        m = TOKEN_RE.match(text, pos)
        if not m:
            raise RenderError(f"{where}: unexpected {text[pos:pos + 10]!r} in action")
        kind = m.lastgroup
        val = m.group()
        pos = m.end()
        if kind == "ws":
            continue
        # a field chain straight after ) or a variable: (x).a, $v.a
        if kind == "field" and val != "." and toks and toks[-1][0] in ("rparen", "variable") \
                and text[m.start() - 1] not in " \t\n":
            toks.append(("chain", val))
            continue
        toks.append((kind, val))
    return toks


# --- parsing --------------------------------------------------------------------------------

class Pipeline:
    def __init__(self, decls, assign, cmds, where):
        self.decls, self.assign, self.cmds, self.where = decls, assign, cmds, where


class Node:
    def __init__(self, kind, where, **kw):
        self.kind = kind
        self.where = where
        self.__dict__.update(kw)


class Parser:
    def __init__(self, tokens, where):
        self.toks = tokens
        self.i = 0
        self.where = where

    def peek(self, k=0):
        return self.toks[self.i + k] if self.i + k < len(self.toks) else (None, None)

    def next(self):
        t = self.peek()
        self.i += 1
        return t

    def pipeline(self, allow_decl=True, range_decl=False):
        decls, assign = [], False
        if allow_decl and self.peek()[0] == "variable":
            # $x := ..., $x = ..., $i, $v := ...
            save = self.i
            names = [self.next()[1]]
            if range_decl and self.peek()[0] == "comma":
                self.next()
                if self.peek()[0] != "variable":
                    raise RenderError(f"{self.where}: expected a variable after ,")
                names.append(self.next()[1])
            if self.peek()[0] in ("declare", "assign"):
                assign = self.next()[0] == "assign"
                decls = names
            else:
                self.i = save
        cmds = [self.command()]
        while self.peek()[0] == "pipe":
            self.next()
            cmds.append(self.command())
        return Pipeline(decls, assign, cmds, self.where)

    def command(self):
        args = []
        while self.peek()[0] not in (None, "pipe", "rparen"):
            args.append(self.operand())
        if not args:
            raise RenderError(f"{self.where}: empty command")
        return args

    def operand(self):
        kind, val = self.next()
        if kind == "string":
            node = ("lit", json.loads(val))
        elif kind == "raw":
            node = ("lit", val[1:-1])
        elif kind == "number":
            node = ("lit", float(val) if "." in val else int(val))
        elif kind == "ident":
            if val in ("true", "false"):
                node = ("lit", val == "true")
            elif val == "nil":
                node = ("lit", None)
            else:
                node = ("func", val)
        elif kind == "field":
            node = ("field", [] if val == "." else val[1:].split("."))
        elif kind == "variable":
            node = ("var", val, [])
        elif kind == "lparen":
            pipe = self.pipeline()
            if self.next()[0] != "rparen":
                raise RenderError(f"{self.where}: unclosed (")
            node = ("sub", pipe, [])
        else:
            raise RenderError(f"{self.where}: unexpected {val!r}")
        if self.peek()[0] == "chain":
            chain = self.next()[1][1:].split(".")
            if node[0] == "var":
                node = ("var", node[1], chain)
            elif node[0] == "sub":
                node = ("sub", node[1], chain)
            else:
                raise RenderError(f"{self.where}: unexpected field chain")
        return node

    def done(self):
        if self.i != len(self.toks):
            raise RenderError(f"{self.where}: unexpected {self.peek()[1]!r}")


def parse_template(src, name, defines):
    """The node list of a file; {{define}} blocks go into `defines`."""
    parts = split_template(src, name)
    stack = [("root", Node("list", name, body=[]))]

    def body():
        return stack[-1][1].body

    for part in parts:
        if isinstance(part, str):
            if part:
                body().append(Node("text", name, text=part))
            continue
        where = f"{name}:{part.line}"
        text = part.text
        if text.startswith("/*"):
            if not text.endswith("*/"):
                raise RenderError(f"{where}: a comment must end with */ right before }}}}")
            continue
        toks = tokenize(text, where)
        if not toks:
            raise RenderError(f"{where}: empty action")
        head = toks[0]
        kw = head[1] if head[0] == "ident" else None
        p = Parser(toks[1:], where)
        if kw == "define":
            if len(toks) != 2 or toks[1][0] not in ("string", "raw"):
                raise RenderError(f"{where}: define needs one template name")
            tname = json.loads(toks[1][1]) if toks[1][0] == "string" else toks[1][1][1:-1]
            node = Node("define", where, name=tname, body=[])
            stack.append(("define", node))
        elif kw in ("if", "with", "range"):
            pipe = p.pipeline(range_decl=(kw == "range"))
            p.done()
            node = Node(kw, where, branches=[(pipe, [])], else_body=None)
            body().append(node)
            stack.append((kw, node))
            node.body = node.branches[0][1]
        elif kw == "else":
            kind, node = stack[-1]
            if kind not in ("if", "with", "range") or node.else_body is not None:
                raise RenderError(f"{where}: else outside if, with or range")
            rest = toks[1:]
            if rest and rest[0] == ("ident", kind) and kind in ("if", "with"):
                p = Parser(rest[1:], where)
                pipe = p.pipeline()
                p.done()
                node.branches.append((pipe, []))
                node.body = node.branches[-1][1]
            elif rest:
                raise RenderError(f"{where}: unexpected {rest[0][1]!r} after else")
            else:
                node.else_body = []
                node.body = node.else_body
        elif kw == "end":
            if len(toks) != 1:
                raise RenderError(f"{where}: unexpected tokens after end")
            kind, node = stack.pop()
            if kind == "root":
                raise RenderError(f"{where}: end without a block")
            if kind == "define":
                if node.name in defines:
                    raise RenderError(f"{where}: template {node.name!r} is defined twice "
                                      f"(also {defines[node.name].where})")
                defines[node.name] = node
        elif kw == "template":
            if len(toks) < 2 or toks[1][0] not in ("string", "raw"):
                raise RenderError(f"{where}: template needs a name")
            tname = json.loads(toks[1][1]) if toks[1][0] == "string" else toks[1][1][1:-1]
            p = Parser(toks[2:], where)
            pipe = p.pipeline() if toks[2:] else None
            p.done()
            body().append(Node("template", where, name=tname, pipe=pipe))
        elif kw in ("block", "break", "continue"):
            raise RenderError(f"{where}: {kw} is not supported by this renderer")
        else:
            p = Parser(toks, where)
            pipe = p.pipeline()
            p.done()
            body().append(Node("action", where, pipe=pipe))
    if len(stack) != 1:
        kind, node = stack[-1]
        raise RenderError(f"{node.where}: {kind} has no end")
    return stack[0][1].body


# --- evaluation -----------------------------------------------------------------------------

class Renderer:
    def __init__(self, defines):
        self.defines = defines
        self.depth = 0

    def render_nodes(self, nodes, dot, scope):
        out = []
        for node in nodes:
            self.exec_node(node, dot, scope, out)
        return "".join(out)

    def exec_node(self, node, dot, scope, out):
        k = node.kind
        if k == "text":
            out.append(node.text)
        elif k == "action":
            v = self.eval_pipeline(node.pipe, dot, scope)
            if not node.pipe.decls:
                out.append(self.printable(v, node.where))
        elif k in ("if", "with"):
            # A variable declared in a condition lives until the matching end.
            mark = len(scope)
            scope.append({})
            try:
                for pipe, body in node.branches:
                    v = self.eval_pipeline(pipe, dot, scope)
                    if truth(v):
                        self.exec_body(body, v if k == "with" else dot, scope, out)
                        return
                if node.else_body is not None:
                    self.exec_body(node.else_body, dot, scope, out)
            finally:
                del scope[mark:]
        elif k == "range":
            pipe = node.branches[0][0]
            decls = pipe.decls
            mark = len(scope)
            v = self.eval_pipeline(Pipeline([], False, pipe.cmds, pipe.where), dot, scope)
            if is_nil(v):
                items = []
            elif isinstance(v, list):
                items = list(enumerate(v))
            elif isinstance(v, dict):
                items = [(key, v[key]) for key in sorted(v)]
            elif isinstance(v, int) and not isinstance(v, bool):
                items = [(i, i) for i in range(v)]
            else:
                raise RenderError(f"{node.where}: range can't iterate over {v!r}")
            if not items and node.else_body is not None:
                self.exec_body(node.else_body, dot, scope, out)
            for key, item in items:
                scope.append({})
                if len(decls) == 1:
                    scope[-1][decls[0]] = item
                elif len(decls) == 2:
                    scope[-1][decls[0]] = key
                    scope[-1][decls[1]] = item
                self.exec_body(node.branches[0][1], item, scope, out)
                del scope[mark:]
        elif k == "template":
            data = self.eval_pipeline(node.pipe, dot, scope) if node.pipe else None
            out.append(self.call_template(node.name, data, node.where))
        else:
            raise RenderError(f"{node.where}: unexpected {k}")

    def exec_body(self, body, dot, scope, out):
        mark = len(scope)
        scope.append({})
        for n in body:
            self.exec_node(n, dot, scope, out)
        del scope[mark:]

    def call_template(self, name, data, where):
        if name not in self.defines:
            raise RenderError(f"{where}: no template {name!r}")
        self.depth += 1
        if self.depth > 100:
            raise RenderError(f"{where}: templates nest deeper than 100 (recursion?)")
        try:
            return self.render_nodes(self.defines[name].body, data, [{"$": data}])
        except RenderError as e:
            raise RenderError(f"{e} (in template {name!r} called at {where})") from None
        finally:
            self.depth -= 1

    def printable(self, v, where):
        try:
            return go_str(v)
        except RenderError as e:
            raise RenderError(f"{where}: {e}") from None

    def lookup_var(self, name, scope, where):
        for frame in reversed(scope):
            if name in frame:
                return frame[name]
        raise RenderError(f"{where}: undefined variable {name}")

    def eval_pipeline(self, pipe, dot, scope):
        v = None
        for i, cmd in enumerate(pipe.cmds):
            v = self.eval_command(cmd, dot, scope, pipe.where, i > 0, v)
        if pipe.decls:
            if pipe.assign:
                for frame in reversed(scope):
                    if pipe.decls[0] in frame:
                        frame[pipe.decls[0]] = v
                        break
                else:
                    raise RenderError(f"{pipe.where}: undefined variable {pipe.decls[0]}")
            elif len(pipe.decls) == 1:
                scope[-1][pipe.decls[0]] = v
        return v

    def field(self, v, name, where):
        if isinstance(v, dict):
            if name not in v:
                # Strict like `helm lint --strict` (missingkey=error): a typo in a values path
                # fails here instead of rendering "" silently. Declare every key in values.yaml.
                raise RenderError(f"{where}: map has no entry for key {name!r}")
            return v[name]
        if isinstance(v, GoStruct):
            try:
                return v.get(name)
            except RenderError as e:
                raise RenderError(f"{where}: {e}") from None
        if is_nil(v):
            raise RenderError(f"{where}: nil pointer evaluating interface {{}}.{name}")
        raise RenderError(f"{where}: can't evaluate field {name} in type {type(v).__name__}")

    def chain(self, v, names, where):
        for n in names:
            v = self.field(v, n, where)
        return v

    def eval_arg(self, arg, dot, scope, where):
        kind = arg[0]
        if kind == "lit":
            return arg[1]
        if kind == "field":
            return self.chain(dot, arg[1], where)
        if kind == "var":
            return self.chain(self.lookup_var(arg[1], scope, where), arg[2], where)
        if kind == "sub":
            return self.chain(self.eval_pipeline(arg[1], dot, scope), arg[2], where)
        if kind == "func":
            return self.call(arg[1], [], dot, scope, where, False, None)
        raise RenderError(f"{where}: bad operand")

    def eval_command(self, cmd, dot, scope, where, piped, pval):
        first = cmd[0]
        if first[0] == "func":
            return self.call(first[1], cmd[1:], dot, scope, where, piped, pval)
        v = self.eval_arg(first, dot, scope, where)
        if isinstance(v, Method):
            args = [self.eval_arg(a, dot, scope, where) for a in cmd[1:]]
            if piped:
                args.append(pval)
            try:
                return v(*args)
            except TypeError as e:
                raise RenderError(f"{where}: {v.name}: {e}") from None
        if len(cmd) > 1 or piped:
            raise RenderError(f"{where}: can't give argument to non-function {first!r}")
        return v

    def call(self, name, arg_nodes, dot, scope, where, piped, pval):
        if name in ("and", "or"):
            vals = list(arg_nodes) + ([("lit", pval)] if piped else [])
            if len(vals) < 1:
                raise RenderError(f"{where}: {name} needs arguments")
            v = None
            for a in vals:
                v = self.eval_arg(a, dot, scope, where)
                if (name == "and") != truth(v):
                    return v
            return v
        if name == "include":
            args = [self.eval_arg(a, dot, scope, where) for a in arg_nodes]
            if piped:
                args.append(pval)
            if len(args) != 2 or not isinstance(args[0], str):
                raise RenderError(f"{where}: include takes a template name and one value")
            return self.call_template(args[0], args[1], where)
        fn = FUNCTIONS.get(name)
        if fn is None:
            raise RenderError(f"{where}: function {name!r} is not supported by this renderer "
                              f"(scripts/check-chart.py FUNCTIONS)")
        args = [self.eval_arg(a, dot, scope, where) for a in arg_nodes]
        if piped:
            args.append(pval)
        try:
            return fn(*args)
        except RenderError as e:
            raise RenderError(f"{where}: {name}: {e}") from None
        except TypeError as e:
            raise RenderError(f"{where}: {name}: wrong arguments ({e})") from None
        except (AttributeError, ValueError) as e:
            raise RenderError(f"{where}: {name}: {e}") from None


# ---------------------------------------------------------------------------------------------
# The chart: values, Chart.yaml, .helmignore, .Files, rendering every template.


def deep_merge(base, override):
    """Helm's coalescing of -f values over the chart's: maps merge, null deletes a key."""
    out = copy.deepcopy(base)
    for k, v in (override or {}).items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def helmignore_patterns(chart):
    path = os.path.join(chart, ".helmignore")
    if not os.path.exists(path):
        return []
    pats = []
    for line in open(path):
        line = line.strip()
        if line and not line.startswith("#"):
            pats.append(line)
    return pats


def ignored(relpath, patterns):
    for pat in patterns:
        neg = pat.startswith("!")
        p = pat[1:] if neg else pat
        is_dir = p.endswith("/")
        p = p.rstrip("/")
        parts = relpath.split("/")
        hit = False
        for i in range(len(parts)):
            target = parts[i]
            sub = "/".join(parts[: i + 1])
            if is_dir and i == len(parts) - 1:
                continue  # a directory pattern matches only directories (a leading part)
            if fnmatch.fnmatch(sub if "/" in p else target, p):
                hit = True
        if hit:
            return not neg
    return False


def chart_struct(meta):
    names = {"apiVersion": "APIVersion", "appVersion": "AppVersion", "kubeVersion": "KubeVersion"}
    fields = {}
    for k, v in meta.items():
        fields[names.get(k, k[0].upper() + k[1:])] = v
    for k in ("Name", "Version", "AppVersion", "Description", "Type", "KubeVersion"):
        fields.setdefault(k, "")
    return GoStruct("chart.Metadata", fields)


def render_chart(chart, meta, values, api_versions, files_read=None):
    """{template file: rendered text} for every template, NOTES.txt included. Files read with
    .Files.Get are recorded in files_read (name -> content)."""
    patterns = helmignore_patterns(chart)

    def files_get(name):
        full = os.path.join(chart, name)
        if name.startswith("templates/") or ignored(name, patterns) or not os.path.isfile(full):
            return ""
        with open(full, encoding="utf-8") as f:
            content = f.read()
        if files_read is not None:
            files_read[name] = content
        return content

    versions = set(BUILTIN_API_VERSIONS) | set(api_versions)
    top = {
        "Values": values,
        "Release": GoStruct("release", {
            "Name": RELEASE_NAME, "Namespace": RELEASE_NAMESPACE, "Service": "Helm",
            "IsInstall": True, "IsUpgrade": False, "Revision": 1}),
        "Chart": chart_struct(meta),
        "Capabilities": GoStruct("chartutil.Capabilities", {
            "APIVersions": GoStruct("chartutil.VersionSet", {
                "Has": Method("Has", lambda v: v in versions)}),
            "KubeVersion": GoStruct("chartutil.KubeVersion", {
                "Version": "v1.29.0", "Major": "1", "Minor": "29"}),
        }),
        "Files": GoStruct("chart.Files", {"Get": Method("Get", files_get)}),
        "Template": GoStruct("Template", {"BasePath": f"{meta['name']}/templates", "Name": ""}),
    }
    tdir = os.path.join(chart, "templates")
    names = sorted(os.path.relpath(p, tdir) for p in glob.glob(os.path.join(tdir, "**", "*"),
                                                                recursive=True)
                   if os.path.isfile(p))
    defines, bodies = {}, {}
    for n in names:
        with open(os.path.join(tdir, n), encoding="utf-8") as f:
            src = f.read()
        label = f"templates/{n}"
        bodies[n] = parse_template(src, label, defines)
    renderer = Renderer(defines)
    out = {}
    for n in names:
        base = os.path.basename(n)
        if base.startswith("_") or not (n.endswith((".yaml", ".yml", ".tpl")) or
                                         base == "NOTES.txt"):
            continue
        if n.endswith(".tpl"):
            continue
        top["Template"] = GoStruct("Template", {"BasePath": f"{meta['name']}/templates",
                                                "Name": f"{meta['name']}/templates/{n}"})
        out[n] = renderer.render_nodes(bodies[n], top, [{"$": top}])
    return out


def elide_files(doc, files_read):
    """The golden text with the chart files that templates embed (the dashboard JSON, the
    alerting rules) replaced by one marker line, so editing those files does not churn the
    golden renders; check_embedded_files compares their content instead."""
    candidates = []
    for name, content in files_read.items():
        candidates.append((name, content))
        try:
            parsed = yaml.safe_load(content)
        except yaml.YAMLError:
            parsed = None
        if isinstance(parsed, dict):
            for key, value in parsed.items():
                candidates.append((f"{name} ({key})", to_yaml(as_helm_numbers(value))))
    for name, text in sorted(candidates, key=lambda c: -len(c[1])):
        if len(text) < 200:
            continue
        for n in range(16, -1, -2):
            block = sprig_indent(n, text.rstrip("\n"))
            if block in doc:
                marker = " " * n + f"# <{name}: {text.count(chr(10)) + 1} lines, elided>"
                doc = doc.replace(block, marker)
    return doc


def check_embedded_files(chart, docs, where, problems):
    """The dashboard ConfigMap holds dashboards/<key> exactly; the PrometheusRule holds the
    groups of alerts.yaml."""
    for src, idx, obj in docs:
        here = f"{where} {src}#{idx}"
        kind = obj.get("kind")
        if kind == "ConfigMap":
            for key, value in (obj.get("data") or {}).items():
                path = os.path.join(chart, "dashboards", key)
                if not key.endswith(".json") or not os.path.exists(path):
                    continue
                try:
                    if json.loads(value) != json.load(open(path, encoding="utf-8")):
                        problems.add(here, f"data[{key}] differs from dashboards/{key}")
                except ValueError as e:
                    problems.add(here, f"data[{key}] is not JSON: {e}")
        if kind == "PrometheusRule":
            path = os.path.join(chart, "alerts.yaml")
            try:
                groups = (yaml.safe_load(open(path, encoding="utf-8")) or {}).get("groups")
            except (OSError, yaml.YAMLError) as e:
                problems.add(rel(path), f"cannot read: {e}")
                continue
            if (obj.get("spec") or {}).get("groups") != groups:
                problems.add(here, "spec.groups differs from the groups of alerts.yaml")


def split_documents(text):
    docs = re.split(r"(?m)^---[ \t]*(?:#.*)?$", text)
    return [d.strip("\n") for d in docs if d.strip()]


# ---------------------------------------------------------------------------------------------
# Checks.


def check_yamllint(chart, files, problems):
    exe = shutil.which("yamllint")
    if not exe:
        problems.add("yamllint", "the yamllint command is missing: apt-get install yamllint")
        return
    conf = os.path.join(chart, ".yamllint")
    if not os.path.exists(conf):
        conf = os.path.join(REPO, ".yamllint")
    r = subprocess.run([exe, "-s", "-f", "parsable", "-c", conf] + files,
                       capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if line.strip():
            problems.add(rel(line.split(":", 1)[0]), line.split(":", 1)[1].strip())
    if r.returncode != 0 and not r.stdout.strip():
        problems.add("yamllint", r.stderr.strip() or f"exit {r.returncode}")


SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$")

# chart-testing's etc/chart_schema.yaml (Yamale), as Python: key -> (check, required).
_str = ("str", lambda v: isinstance(v, str))
_bool = ("bool", lambda v: isinstance(v, bool))
_strlist = ("list of str", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v))
_str_or_num = ("str or num", lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool))
_strmap = ("map of str to str", lambda v: isinstance(v, dict) and all(
    isinstance(k, str) and isinstance(x, str) for k, x in v.items()))
CHART_SCHEMA = {
    "name": (_str, True), "home": (_str, False), "version": (_str, True),
    "apiVersion": (_str, True), "appVersion": (_str_or_num, False),
    "description": (_str, False), "keywords": (_strlist, False), "sources": (_strlist, False),
    "maintainers": (("list of maintainer", lambda v: isinstance(v, list)), False),
    "dependencies": (("list of dependency", lambda v: isinstance(v, list)), False),
    "icon": (_str, False), "engine": (_str, False), "condition": (_str, False),
    "tags": (_str, False), "deprecated": (_bool, False), "kubeVersion": (_str, False),
    "annotations": (_strmap, False), "type": (_str, False),
}
MAINTAINER = {"name": (_str, True), "email": (_str, False), "url": (_str, False)}
DEPENDENCY = {"name": (_str, True), "version": (_str, True), "repository": (_str, False),
              "condition": (_str, False), "tags": (_strlist, False), "enabled": (_bool, False),
              "import-values": (("list", lambda v: isinstance(v, list)), False),
              "alias": (_str, False)}


def check_struct(obj, schema, where, text, path, problems):
    if not isinstance(obj, dict):
        problems.add(where, f"{path_str(path)}: expected a map")
        return
    for key, ((tname, ok), required) in schema.items():
        if key not in obj:
            if required:
                problems.add(f"{where}:{line_of(text, path) or 1}",
                             f"{path_str(path + [key])} is required")
            continue
        if not ok(obj[key]):
            problems.add(f"{where}:{line_of(text, path + [key])}",
                         f"{path_str(path + [key])} must be a {tname}, got {obj[key]!r}")
    for key in obj:
        if key not in schema:
            problems.add(f"{where}:{line_of(text, path + [key])}",
                         f"{path_str(path + [key])} is not a Chart.yaml field (chart_schema.yaml)")


def check_chart_yaml(chart, problems):
    path = os.path.join(chart, "Chart.yaml")
    where = rel(path)
    text = open(path, encoding="utf-8").read()
    try:
        meta = load_yaml(text)
    except yaml.YAMLError as e:
        problems.add(where, f"not YAML: {e}")
        return None
    check_struct(meta, CHART_SCHEMA, where, text, [], problems)
    for i, m in enumerate(meta.get("maintainers") or []):
        check_struct(m, MAINTAINER, where, text, ["maintainers", i], problems)
    for i, d in enumerate(meta.get("dependencies") or []):
        check_struct(d, DEPENDENCY, where, text, ["dependencies", i], problems)

    def at(key):
        return f"{where}:{line_of(text, [key])}"
    if meta.get("apiVersion") != "v2":
        problems.add(at("apiVersion"),
                     f"apiVersion must be v2 (Helm 3), got {meta.get('apiVersion')!r}")
    if not SEMVER.match(str(meta.get("version", ""))):
        problems.add(at("version"), f"version {meta.get('version')!r} is not SemVer 2")
    if meta.get("type", "application") not in ("application", "library"):
        problems.add(at("type"), f"type must be application or library, got {meta.get('type')!r}")
    if "appVersion" in meta and not isinstance(meta["appVersion"], str):
        problems.add(at("appVersion"), "appVersion must be a quoted string")
    name = meta.get("name", "")
    if not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", str(name)):
        problems.add(at("name"), f"name {name!r} must be lower case letters, digits and -")
    if name != os.path.basename(os.path.abspath(chart)):
        problems.add(at("name"), f"name {name!r} differs from the chart's directory")
    return meta


def schema_errors(schema, values, text, where, problems):
    validator = jsonschema.Draft7Validator(schema)
    for e in sorted(validator.iter_errors(values), key=lambda e: list(map(str, e.absolute_path))):
        path = list(e.absolute_path)
        line = line_of(text, path) if text is not None else None
        problems.add(f"{where}:{line}" if line else where, f"{path_str(path)}: {e.message}")


def declared_keys(schema, node, path, out):
    """(path, key node, value node) of every values.yaml key the schema declares."""
    if not isinstance(node, yaml.MappingNode):
        return
    props = schema.get("properties")
    if not props:
        return
    for k, v in node.value:
        sub = props.get(k.value)
        if sub is None:
            continue
        out.append((path + [k.value], k, v, sub))
        declared_keys(sub, v, path + [k.value], out)


def check_values_docs(chart, schema, problems):
    path = os.path.join(chart, "values.yaml")
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    keys = []
    declared_keys(schema, node, [], keys)
    readme_path = os.path.join(chart, "README.md")
    readme = open(readme_path, encoding="utf-8").read() if os.path.exists(readme_path) else ""
    if not readme:
        problems.add(rel(readme_path), "missing")
    for kpath, knode, vnode, sub in keys:
        line = knode.start_mark.line
        above = lines[line - 1].strip() if line > 0 else ""
        inline = "#" in lines[line][knode.end_mark.column:]
        if not above.startswith("#") and not inline:
            problems.add(f"{rel(path)}:{line + 1}",
                         f"{'.'.join(kpath)} has no comment (put one on the line above)")
        leaf = not (isinstance(vnode, yaml.MappingNode) and sub.get("properties"))
        if leaf and readme and f"`{'.'.join(kpath)}`" not in readme:
            problems.add(rel(readme_path), f"the values table has no row for `{'.'.join(kpath)}`")


def ci_api_versions(text):
    out = []
    for m in re.finditer(r"(?m)^#\s*check-chart:\s*api-versions=(\S+)\s*$", text):
        out += [v for v in m.group(1).split(",") if v]
    return out


# --- sanity checks on rendered objects ------------------------------------------------------

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
STANDARD_LABELS = ["app.kubernetes.io/name", "app.kubernetes.io/instance",
                   "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "helm.sh/chart"]


def valid_label_key(k):
    prefix, _, name = k.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(LABEL_NAME.match(name))


def matches(selector_labels, labels):
    return all(labels.get(k) == v for k, v in (selector_labels or {}).items())


def match_expressions(exprs, labels):
    for e in exprs or []:
        op, key, vals = e.get("operator"), e.get("key"), e.get("values") or []
        if op == "In" and labels.get(key) not in vals:
            return False
        if op == "NotIn" and labels.get(key) in vals:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def sanity_checks(docs, where, problems):
    """docs: [(source, index, object)]."""
    by_kind = {}
    for src, _, obj in docs:
        by_kind.setdefault(obj.get("kind"), []).append((src, obj))
    seen = {}
    for src, idx, obj in docs:
        here = f"{where} {src}#{idx}"
        kind = obj.get("kind")
        meta = obj.get("metadata") or {}
        name = meta.get("name", "")
        key = (kind, meta.get("namespace"), name)
        if key in seen:
            problems.add(here, f"{kind} {name} is rendered twice (also {seen[key]})")
        seen[key] = src
        if not name:
            problems.add(here, f"{kind} has no metadata.name")
            continue
        if kind == "Service":
            if len(name) > 63 or not DNS1035_LABEL.match(name):
                problems.add(here, f"Service name {name!r} must be a DNS-1035 label of at most "
                                   f"63 characters (it is {len(name)})")
        elif kind == "StatefulSet":
            # its pods carry controller-revision-hash=<name>-<hash of up to 10>, a label value
            if len(name) > 52 or not DNS1123_LABEL.match(name):
                problems.add(here, f"{kind} name {name!r} must be at most 52 characters so its "
                                   f"pods' controller-revision-hash label fits 63 "
                                   f"(it is {len(name)})")
        elif kind == "DaemonSet":
            if len(name) > 63 or not DNS1123_LABEL.match(name):
                problems.add(here, f"DaemonSet name {name!r} must be a DNS-1123 label of at most "
                                   f"63 characters (it is {len(name)})")
        elif len(name) > 253 or not DNS1123_SUBDOMAIN.match(name):
            problems.add(here, f"name {name!r} is not a DNS-1123 subdomain")
        labels = meta.get("labels") or {}
        for lk in STANDARD_LABELS:
            if lk not in labels:
                problems.add(here, f"{kind} {name} lacks the label {lk}")
        for lk, lv in labels.items():
            if not valid_label_key(str(lk)):
                problems.add(here, f"label key {lk!r} is invalid")
            if not isinstance(lv, str) or len(lv) > 63 or not LABEL_VALUE.match(lv):
                problems.add(here, f"label {lk}={lv!r} is not a valid label value (a string of at "
                                   f"most 63 characters)")
        if kind in ("StatefulSet", "DaemonSet", "Deployment"):
            check_workload(obj, here, by_kind, problems)
        if kind == "Service":
            sel = (obj.get("spec") or {}).get("selector") or {}
            pods = [o for k in ("StatefulSet", "DaemonSet", "Deployment")
                    for _, o in by_kind.get(k, [])]
            if sel and not any(matches(sel, pod_labels(o)) for o in pods):
                problems.add(here, f"Service {name} selects {sel} but no rendered pod template "
                                   f"has those labels")
            for p in (obj.get("spec") or {}).get("ports") or []:
                tp = p.get("targetPort")
                if isinstance(tp, str) and not any(
                        tp in container_port_names(o) for o in pods if matches(sel, pod_labels(o))):
                    problems.add(here, f"Service {name} port {p.get('name')}: targetPort {tp!r} "
                                       f"is no container port name of the selected pods")
        if kind == "ServiceMonitor":
            spec = obj.get("spec") or {}
            sel = spec.get("selector") or {}
            services = [o for _, o in by_kind.get("Service", [])
                        if matches(sel.get("matchLabels"), labels_of(o))
                        and match_expressions(sel.get("matchExpressions"), labels_of(o))]
            if len(services) != 1:
                problems.add(here, f"ServiceMonitor {name} selects {len(services)} rendered "
                                   f"Services; expected exactly one (each target scraped once)")
            for ep in spec.get("endpoints") or []:
                port_names = [p.get("name") for s in services
                              for p in (s.get("spec") or {}).get("ports") or []]
                if ep.get("port") not in port_names:
                    problems.add(here, f"ServiceMonitor endpoint port {ep.get('port')!r} is not a "
                                       f"port name of the selected Service ({port_names})")
        if kind == "ClusterRoleBinding" or kind == "RoleBinding":
            ref = obj.get("roleRef") or {}
            roles = [name_of(o) for _, o in by_kind.get(ref.get("kind"), [])]
            if ref.get("name") not in roles:
                problems.add(here, f"roleRef {ref.get('kind')} {ref.get('name')} is not rendered")
            for s in obj.get("subjects") or []:
                if s.get("kind") == "ServiceAccount" and s.get("name") != "default":
                    sas = [name_of(o) for _, o in by_kind.get("ServiceAccount", [])]
                    if s.get("name") not in sas:
                        problems.add(here,
                                     f"subject ServiceAccount {s.get('name')} is not rendered")


def name_of(obj):
    return (obj.get("metadata") or {}).get("name")


def labels_of(obj):
    return (obj.get("metadata") or {}).get("labels") or {}


def pod_labels(workload):
    return labels_of((workload.get("spec") or {}).get("template") or {})


def pod_spec(workload):
    return ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}


def container_port_names(workload):
    return [p.get("name") for c in pod_spec(workload).get("containers") or []
            for p in c.get("ports") or []]


def check_workload(obj, here, by_kind, problems):
    spec = obj.get("spec") or {}
    name = obj["metadata"]["name"]
    sel = (spec.get("selector") or {}).get("matchLabels") or {}
    if not sel:
        problems.add(here, f"{name}: spec.selector.matchLabels is empty")
    if not matches(sel, pod_labels(obj)):
        problems.add(here, f"{name}: spec.selector.matchLabels {sel} do not match the pod "
                           f"template's labels {pod_labels(obj)}")
    ps = pod_spec(obj)
    volumes = {v.get("name") for v in ps.get("volumes") or []}
    volumes |= {name_of(t) for t in spec.get("volumeClaimTemplates") or []}
    port_names = set()
    for c in (ps.get("initContainers") or []) + (ps.get("containers") or []):
        for p in c.get("ports") or []:
            port_names.add(p.get("name"))
        for m in c.get("volumeMounts") or []:
            if m.get("name") not in volumes:
                problems.add(here, f"{name}: container {c.get('name')} mounts {m.get('name')!r}, "
                                   f"which is no volume of the pod")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            port = ((c.get(probe) or {}).get("httpGet") or {}).get("port")
            if isinstance(port, str) and port not in {p.get("name") for p in c.get("ports") or []}:
                problems.add(here,
                             f"{name}: {probe} port {port!r} is not a port of {c.get('name')}")
    if obj.get("kind") == "StatefulSet":
        svc = spec.get("serviceName")
        headless = [o for _, o in by_kind.get("Service", [])
                    if (o.get("metadata") or {}).get("name") == svc
                    and (o.get("spec") or {}).get("clusterIP") == "None"]
        if not headless:
            problems.add(here, f"{name}: serviceName {svc!r} is not a rendered headless Service")
    sa = ps.get("serviceAccountName")
    if sa and sa != "default":
        if sa not in [name_of(o) for _, o in by_kind.get("ServiceAccount", [])]:
            problems.add(here, f"{name}: serviceAccountName {sa!r} is not rendered")


# --- Kubernetes schemas through npm kubernetes-models ---------------------------------------

def ensure_node_modules(prefix, problems):
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            problems.add("k8s-schemas", f"the {tool} command is missing: apt-get install nodejs "
                                        f"npm (the Kubernetes schemas come from npm)")
            return False
    wanted = {p.rsplit("@", 1)[0]: p.rsplit("@", 1)[1] for p in NPM_PACKAGES}
    have = True
    for pkg, version in wanted.items():
        pj = os.path.join(prefix, "node_modules", pkg, "package.json")
        try:
            have = have and json.load(open(pj)).get("version") == version
        except (OSError, ValueError):
            have = False
    if have:
        return True
    os.makedirs(prefix, exist_ok=True)
    print(f"check-chart: installing {' '.join(NPM_PACKAGES)} with npm into {rel(prefix)}",
          flush=True)
    r = subprocess.run(["npm", "install", "--prefix", prefix, "--no-audit", "--no-fund",
                        "--loglevel=error"] + NPM_PACKAGES,
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        problems.add("k8s-schemas", f"npm install failed: {r.stderr.strip()[-2000:]}")
        return False
    return True


def validate_k8s(prefix, docs, problems):
    """docs: [(label, object)] -> problems from scripts/validate-k8s.mjs."""
    script = os.path.join(REPO, "scripts", "validate-k8s.mjs")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump([{"source": label, "object": obj} for label, obj in docs], f, default=str)
        path = f.name
    try:
        r = subprocess.run(["node", script, prefix, path], capture_output=True, text=True,
                           timeout=300)
    finally:
        os.unlink(path)
    try:
        results = json.loads(r.stdout)
    except ValueError:
        problems.add("k8s-schemas", f"validate-k8s.mjs failed (exit {r.returncode}): "
                                    f"{(r.stderr or r.stdout).strip()[-2000:]}")
        return 0
    for res in results:
        for err in res["errors"]:
            problems.add(res["source"], err)
    return len(results)


# --- main -----------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chart", default=os.path.join(REPO, "charts", "gantry"))
    ap.add_argument("--update-golden", action="store_true",
                    help="rewrite tests/golden/<ci file> from the current render")
    ap.add_argument("--node-modules", default=os.environ.get(
        "GANTRY_CHART_CHECK_DIR", os.path.join(REPO, "build", "chart-check")),
        help="where npm installs the schema packages (default build/chart-check)")
    args = ap.parse_args()
    chart = os.path.abspath(args.chart)
    problems = Problems()
    report = []

    ci_files = sorted(glob.glob(os.path.join(chart, "ci", "*.yaml")))
    ci_values = [p for p in ci_files if p.endswith("-values.yaml")]
    for p in ci_files:
        if p not in ci_values:
            problems.add(rel(p), "ci files are named *-values.yaml (ct lint reads only those)")
    if not ci_values:
        problems.add(rel(os.path.join(chart, "ci")), "no ci/*-values.yaml")

    # 1. yamllint
    n_before = len(problems)
    check_yamllint(chart, [os.path.join(chart, "Chart.yaml"), os.path.join(chart, "values.yaml")]
                   + ci_files, problems)
    report.append(f"yamllint: {2 + len(ci_files)} files, {len(problems) - n_before} problem(s)")

    # 3. Chart.yaml
    n_before = len(problems)
    meta = check_chart_yaml(chart, problems)
    report.append(f"Chart.yaml (chart_schema + v2/SemVer/type/appVersion): "
                  f"{len(problems) - n_before} problem(s)")

    # 2. values against values.schema.json
    n_before = len(problems)
    schema_path = os.path.join(chart, "values.schema.json")
    try:
        schema = json.load(open(schema_path))
        jsonschema.Draft7Validator.check_schema(schema)
        if schema.get("$schema") != "http://json-schema.org/draft-07/schema#":
            problems.add(rel(schema_path), "$schema must be draft-07")
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        problems.add(rel(schema_path), f"not a valid draft-07 schema: {e}")
        schema = None
    values_path = os.path.join(chart, "values.yaml")
    values_text = open(values_path, encoding="utf-8").read()
    try:
        base_values = load_yaml(values_text) or {}
    except yaml.YAMLError as e:
        problems.add(rel(values_path), f"not YAML: {e}")
        base_values = None
    ci_loaded = {}
    for p in ci_values:
        text = open(p, encoding="utf-8").read()
        try:
            ci_loaded[p] = (text, load_yaml(text) or {})
        except yaml.YAMLError as e:
            problems.add(rel(p), f"not YAML: {e}")
    if schema is not None and base_values is not None:
        schema_errors(schema, base_values, values_text, rel(values_path), problems)
        check_values_docs(chart, schema, problems)
        for p, (text, vals) in ci_loaded.items():
            schema_errors(schema, vals, text, rel(p), problems)
            schema_errors(schema, deep_merge(base_values, vals), None,
                          f"{rel(p)} merged over values.yaml", problems)
    report.append(f"values.schema.json: values.yaml and {len(ci_loaded)} ci file(s) (alone and "
                  f"merged), comments and README rows: {len(problems) - n_before} problem(s)")

    # 4. render, parse, golden
    all_docs = []
    golden_dir = os.path.join(chart, "tests", "golden")
    n_before = len(problems)
    rendered_counts = []
    if meta is not None and base_values is not None:
        for p, (text, vals) in ci_loaded.items():
            ci_name = os.path.basename(p)
            label = f"ci/{ci_name}"
            values = as_helm_numbers(deep_merge(base_values, vals))
            files_read = {}
            try:
                out = render_chart(chart, meta, values, ci_api_versions(text), files_read)
            except RenderError as e:
                problems.add(f"render {label}", str(e))
                continue
            golden_parts = []
            count = 0
            for tname in sorted(out):
                if tname == "NOTES.txt":
                    continue
                src = f"{meta['name']}/templates/{tname}"
                for i, doc in enumerate(split_documents(out[tname])):
                    golden_parts.append(f"---\n# Source: {src}\n{elide_files(doc, files_read)}\n")
                    try:
                        obj = load_yaml(doc)
                    except yaml.YAMLError as e:
                        problems.add(f"render {label} {src}#{i}", f"not YAML: {e}")
                        continue
                    if obj is None:
                        continue
                    if not isinstance(obj, dict) or "apiVersion" not in obj or "kind" not in obj:
                        problems.add(f"render {label} {src}#{i}", "not a Kubernetes object "
                                                                   "(apiVersion and kind)")
                        continue
                    all_docs.append((label, src, i, obj))
                    count += 1
            notes = out.get("NOTES.txt", "")
            golden_parts.append("---\n# Source: " + meta["name"] + "/templates/NOTES.txt (as "
                                "comments)\n" + "".join(f"# {ln}".rstrip() + "\n"
                                                        for ln in notes.strip("\n").split("\n")))
            golden = "".join(golden_parts)
            gpath = os.path.join(golden_dir, ci_name)
            if args.update_golden:
                os.makedirs(golden_dir, exist_ok=True)
                with open(gpath, "w", encoding="utf-8") as f:
                    f.write(golden)
            elif not os.path.exists(gpath):
                problems.add(rel(gpath), "missing: run scripts/check-chart.py --update-golden")
            else:
                old = open(gpath, encoding="utf-8").read()
                if old != golden:
                    diff = list(difflib.unified_diff(old.splitlines(), golden.splitlines(),
                                                     rel(gpath), f"render of {label}",
                                                     lineterm="", n=2))
                    shown = "\n".join(diff[:80]) + ("\n..." if len(diff) > 80 else "")
                    problems.add(rel(gpath), f"differs from the render of {label} (review, then "
                                             f"--update-golden):\n{shown}")
            rendered_counts.append(f"{label}: {count} objects")
    report.append(f"render ({', '.join(rendered_counts) or 'nothing'}), YAML parse and golden "
                  f"files: {len(problems) - n_before} problem(s)")

    # 5. sanity and Kubernetes schemas
    n_before = len(problems)
    for label in sorted({d[0] for d in all_docs}):
        sanity_checks([(src, i, obj) for lab, src, i, obj in all_docs if lab == label],
                      f"render {label}", problems)
    for label in sorted({d[0] for d in all_docs}):
        check_embedded_files(chart, [(src, i, obj) for lab, src, i, obj in all_docs
                                     if lab == label], f"render {label}", problems)
    report.append(f"sanity (names, labels, selectors, references, embedded files): "
                  f"{len(problems) - n_before} problem(s)")
    n_before = len(problems)
    validated = 0
    if all_docs and ensure_node_modules(os.path.abspath(args.node_modules), problems):
        validated = validate_k8s(os.path.abspath(args.node_modules),
                                 [(f"render {lab} {src}#{i} {obj['kind']} "
                                   f"{(obj.get('metadata') or {}).get('name')}", obj)
                                  for lab, src, i, obj in all_docs], problems)
    report.append(f"Kubernetes schemas (kubernetes-models, prometheus-operator): {validated} "
                  f"objects, {len(problems) - n_before} problem(s)")

    for line in report:
        print("check-chart: " + line)
    if problems.items:
        print(f"\ncheck-chart: {len(problems)} problem(s):", file=sys.stderr)
        for item in problems.items:
            print("  " + item.replace("\n", "\n    "), file=sys.stderr)
        return 1
    if args.update_golden:
        print(f"check-chart: golden files written to {rel(golden_dir)}")
    print("check-chart: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
