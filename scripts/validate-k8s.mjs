// Validates rendered Kubernetes objects against the schemas bundled with the npm packages
// kubernetes-models (core kinds) and @kubernetes-models/prometheus-operator (ServiceMonitor,
// PrometheusRule), for scripts/check-chart.py.
//
//   node scripts/validate-k8s.mjs NODE_MODULES_PREFIX OBJECTS.json
//
// OBJECTS.json: [{"source": "...", "object": {...}}]. Prints [{"source", "kind", "errors": []}]
// as JSON and exits 0 when every object is valid, 1 otherwise, 2 on a usage or load error.
//
// Two passes per object: the model's own validate() (types, required fields, formats), then
// the same validator run over a Proxy of the object that records which fields it read. The
// schemas do not forbid unknown fields, but their validators read every field they know (and
// enumerate maps), so a field never read is one the API server would drop or refuse: a typo.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [prefix, input] = process.argv.slice(2);
if (!prefix || !input) {
  console.error("usage: node validate-k8s.mjs NODE_MODULES_PREFIX OBJECTS.json");
  process.exit(2);
}
const modules = join(prefix, "node_modules");

// apiVersion -> the package directory holding its models.
function modelFile(apiVersion, kind) {
  if (apiVersion === "monitoring.coreos.com/v1") {
    return join(modules, "@kubernetes-models/prometheus-operator", apiVersion, `${kind}.js`);
  }
  // core group "v1" lives in kubernetes-models/v1, "apps/v1" in kubernetes-models/apps/v1
  return join(modules, "kubernetes-models", apiVersion, `${kind}.js`);
}

function track(value, path, seen) {
  if (value === null || typeof value !== "object") return value;
  const isArray = Array.isArray(value);
  if (!isArray) {
    for (const k of Object.keys(value)) {
      if (!seen.has(`${path}/${k}`)) seen.set(`${path}/${k}`, false);
    }
  }
  return new Proxy(value, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key === "string" && Object.prototype.hasOwnProperty.call(target, key)) {
        const p = `${path}/${key}`;
        if (!isArray) seen.set(p, true);
        return track(v, p, seen);
      }
      return v;
    },
    ownKeys(target) {
      // enumerated by the validator (a map or additionalProperties): every key is known
      if (!isArray) for (const k of Object.keys(target)) seen.set(`${path}/${k}`, true);
      return Reflect.ownKeys(target);
    },
  });
}

function describe(e) {
  const where = e.instancePath || "(top level)";
  let msg = e.message || e.keyword;
  if (e.params && e.params.allowedValues) msg += ` (${e.params.allowedValues.join(", ")})`;
  return `${where}: ${msg}`;
}

const items = JSON.parse(readFileSync(input, "utf8"));
const results = [];
let failed = false;
for (const { source, object } of items) {
  const errors = [];
  const { apiVersion, kind } = object;
  let Model;
  try {
    const mod = await import(pathToFileURL(modelFile(apiVersion, kind)).href);
    Model = mod[kind];
    if (typeof Model !== "function") throw new Error(`no export ${kind}`);
  } catch (err) {
    const why = err.message.split("\n")[0];
    errors.push(`no schema for ${apiVersion} ${kind} in kubernetes-models (${why})`);
  }
  if (Model) {
    try {
      new Model(object).validate();
    } catch (err) {
      const details = err.errors || err.details;
      if (Array.isArray(details) && details.length) {
        for (const d of details) errors.push(describe(d));
      } else {
        errors.push(err.message);
      }
    }
    const seen = new Map();
    try {
      Model.prototype.validate.call(track(object, "", seen));
    } catch {
      // reported by the first pass
    }
    for (const [p, read] of seen) {
      if (!read) errors.push(`${p}: unknown field (not in the ${kind} schema)`);
    }
  }
  if (errors.length) failed = true;
  results.push({ source, kind, errors });
}
process.stdout.write(JSON.stringify(results, null, 1) + "\n");
process.exit(failed ? 1 : 0);
