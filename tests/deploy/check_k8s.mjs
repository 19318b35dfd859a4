#!/usr/bin/env node
// Renders deploy/k8s's overlays (dev, prod) with `kubectl kustomize` and validates every object:
//   1. against the Kubernetes JSON schemas (npm kubernetes-models: the API's OpenAPI schemas,
//      compiled; type, required, enum and format checks), and CloudNativePG's Cluster against the
//      minimal schema checked in at deploy/k8s/schemas/ (ajv); an object of any other kind, or
//      one that fails its schema, is a problem;
//   2. against what the deployment promises (issue 14, item 2): a Deployment per hub service,
//      probes, requests and limits, non-root, read-only root filesystem, no privilege escalation,
//      a PodDisruptionBudget per workload, HPAs for the gateway and the resolver, a default-deny
//      NetworkPolicy, a NATS StatefulSet of three, PostgreSQL (dev: a StatefulSet of one; prod: a
//      CloudNativePG Cluster), every Secret and ConfigMap referenced rendered, and Secrets that
//      hold placeholders only;
//   3. and shows the checks can fail: broken copies (a wrong type, a missing required field, a
//      bad CRD field, a writable root filesystem, an unknown kind, an unrenderable overlay) must
//      each be refused with the message expected.
// usage: node check_k8s.mjs SOURCE_DIR NODE_MODULES KUBECTL [KUBECTL...]
// Every KUBECTL renders both overlays (Debian's kubectl 1.20 embeds kustomize v2.0.3; a newer
// one kustomize v5): all must succeed and agree on the objects.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const [sourceDir, nodeModules, ...kubectls] = process.argv.slice(2);
if (!sourceDir || !nodeModules || kubectls.length === 0) {
  console.error("usage: node check_k8s.mjs SOURCE_DIR NODE_MODULES KUBECTL [KUBECTL...]");
  process.exit(2);
}
const require = createRequire(path.join(nodeModules, "noop.js"));
const yaml = require("js-yaml");
const Ajv = require("ajv");

const k8sDir = path.join(sourceDir, "deploy", "k8s");
const HUB_SERVICES = ["discovery", "resolver", "trust", "delivery", "portability", "gateway"];
const CRD_SCHEMAS = { "postgresql.cnpg.io/v1/Cluster": "postgresql.cnpg.io_v1_Cluster.json" };

const ajv = new Ajv({ allErrors: true, strict: false });
const crdValidators = {};
for (const [key, file] of Object.entries(CRD_SCHEMAS)) {
  const schema = JSON.parse(fs.readFileSync(path.join(k8sDir, "schemas", file), "utf8"));
  crdValidators[key] = ajv.compile(schema);
}

function render(kubectl, dir) {
  const out = execFileSync(kubectl, ["kustomize", dir], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  return yaml.loadAll(out).filter((o) => o);
}

const name = (o) => `${o.kind}/${o.metadata?.name}`;

// The kubernetes-models class of an object: kubernetes-models/<group>/<version>/<Kind>.js
async function modelFor(object) {
  const file = path.join(nodeModules, "kubernetes-models", object.apiVersion, `${object.kind}.js`);
  if (!fs.existsSync(file)) return null;
  const module = await import(pathToFileURL(file).href);
  return module[object.kind] ?? null;
}

async function schemaProblems(objects, where) {
  const problems = [];
  for (let object of objects) {
    if (typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
      problems.push(`${where}: an object without apiVersion or kind: ${JSON.stringify(object).slice(0, 80)}`);
      continue;
    }
    const crd = crdValidators[`${object.apiVersion}/${object.kind}`];
    if (crd) {
      if (!crd(object)) {
        const errors = crd.errors.map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
        problems.push(`${where}: ${name(object)} (${object.apiVersion}) fails deploy/k8s/schemas/${CRD_SCHEMAS[`${object.apiVersion}/${object.kind}`]}: ${errors}`);
      }
      continue;
    }
    if (object.kind === "Secret" && object.data && typeof object.data === "object") {
      // kustomize v5 folds long base64 values over several lines; the API server's decoder
      // ignores the line breaks, the schema's "byte" format does not: compare without them.
      object = { ...object, data: Object.fromEntries(Object.entries(object.data).map(
        ([k, v]) => [k, typeof v === "string" ? v.replace(/\s+/g, "") : v])) };
    }
    const Model = await modelFor(object);
    if (!Model) {
      problems.push(`${where}: ${name(object)}: no schema for ${object.apiVersion} ${object.kind}`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (error) {
      problems.push(`${where}: ${name(object)} (${object.apiVersion}) fails the Kubernetes schema: ${error.message}`);
    }
  }
  return problems;
}

function workloads(objects) {
  return objects.filter((o) => o.kind === "Deployment" || o.kind === "StatefulSet");
}

function matches(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

function policyProblems(objects, where, overlay) {
  const problems = [];
  const byKindName = new Map(objects.map((o) => [name(o), o]));
  const has = (kind, n) => byKindName.has(`${kind}/${n}`);

  for (const service of HUB_SERVICES) {
    const deployment = byKindName.get(`Deployment/mpli-${service}`);
    if (!deployment) {
      problems.push(`${where}: Deployment/mpli-${service} is missing (a Deployment per hub service)`);
      continue;
    }
    const image = deployment.spec?.template?.spec?.containers?.[0]?.image ?? "";
    if (!image.includes(`mpli/${service}:`)) {
      problems.push(`${where}: Deployment/mpli-${service} runs image ${image}, not mpli/${service}`);
    }
  }
  for (const workload of workloads(objects)) {
    const pod = workload.spec?.template?.spec;
    if (!pod || !Array.isArray(pod.containers)) {
      problems.push(`${where}: ${name(workload)} has no pod template with containers`);
      continue;
    }
    const podSecurity = pod.securityContext ?? {};
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      const what = `${where}: ${name(workload)} container ${container.name}`;
      const sc = container.securityContext ?? {};
      if (!(sc.runAsNonRoot ?? podSecurity.runAsNonRoot)) problems.push(`${what}: not runAsNonRoot`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${what}: root filesystem is not read-only`);
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${what}: allowPrivilegeEscalation is not false`);
      if (!sc.capabilities?.drop?.includes("ALL")) problems.push(`${what}: capabilities not dropped (drop: [ALL])`);
      for (const kind of ["requests", "limits"]) {
        const r = container.resources?.[kind] ?? {};
        if (!r.cpu || !r.memory) problems.push(`${what}: resources.${kind} lacks cpu or memory`);
      }
    }
    for (const container of pod.containers) {
      for (const probe of ["livenessProbe", "readinessProbe"]) {
        if (!container[probe]) problems.push(`${where}: ${name(workload)} container ${container.name}: no ${probe}`);
      }
    }
    const labels = workload.spec.template.metadata?.labels;
    const pdb = objects.find((o) => o.kind === "PodDisruptionBudget" && matches(o.spec.selector?.matchLabels, labels));
    if (!pdb) problems.push(`${where}: ${name(workload)}: no PodDisruptionBudget selects its pods`);
    // Every Secret and ConfigMap it refers to is rendered too.
    const refs = [];
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      for (const env of container.env ?? []) {
        if (env.valueFrom?.secretKeyRef) refs.push(["Secret", env.valueFrom.secretKeyRef.name]);
        if (env.valueFrom?.configMapKeyRef) refs.push(["ConfigMap", env.valueFrom.configMapKeyRef.name]);
      }
      for (const from of container.envFrom ?? []) {
        if (from.secretRef) refs.push(["Secret", from.secretRef.name]);
        if (from.configMapRef) refs.push(["ConfigMap", from.configMapRef.name]);
      }
    }
    for (const volume of pod.volumes ?? []) {
      if (volume.secret) refs.push(["Secret", volume.secret.secretName]);
      if (volume.configMap) refs.push(["ConfigMap", volume.configMap.name]);
    }
    for (const [kind, n] of refs) {
      if (!has(kind, n)) problems.push(`${where}: ${name(workload)} refers to ${kind}/${n}, which is not rendered`);
    }
  }
  for (const target of ["mpli-gateway", "mpli-resolver"]) {
    const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler" && o.spec.scaleTargetRef?.name === target);
    if (!hpa) problems.push(`${where}: no HorizontalPodAutoscaler scales Deployment/${target}`);
  }
  const denyAll = objects.find((o) => o.kind === "NetworkPolicy" && Object.keys(o.spec.podSelector ?? {}).length === 0 &&
    (o.spec.policyTypes ?? []).includes("Ingress") && (o.spec.policyTypes ?? []).includes("Egress") && !o.spec.ingress && !o.spec.egress);
  if (!denyAll) problems.push(`${where}: no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)`);
  const nats = byKindName.get("StatefulSet/nats");
  if (!nats || nats.spec.replicas !== 3) problems.push(`${where}: StatefulSet/nats must run 3 replicas`);
  for (const secret of objects.filter((o) => o.kind === "Secret")) {
    for (const [key, value] of Object.entries(secret.data ?? {})) {
      const text = Buffer.from(value, "base64").toString("utf8");
      if (key !== "username" && !/CHANGE-ME|PLACEHOLDER/.test(text)) {
        problems.push(`${where}: ${name(secret)} key ${key} holds something other than a placeholder: no real secret belongs in the repository`);
      }
    }
  }
  for (const required of ["Secret/mpli-nats-users", "Secret/mpli-hub-keys", "Secret/mpli-database"]) {
    if (!byKindName.has(required)) problems.push(`${where}: ${required} is missing`);
  }
  if (overlay === "dev") {
    const pg = byKindName.get("StatefulSet/postgres");
    if (!pg || pg.spec.replicas !== 1) problems.push(`${where}: dev runs PostgreSQL as a StatefulSet of one`);
  }
  if (overlay === "prod") {
    if (!objects.some((o) => o.kind === "Cluster" && o.apiVersion === "postgresql.cnpg.io/v1")) {
      problems.push(`${where}: prod runs PostgreSQL as a CloudNativePG Cluster, and renders none`);
    }
    if (byKindName.has("StatefulSet/postgres")) problems.push(`${where}: prod must not run the dev StatefulSet/postgres`);
  }
  return problems;
}

async function checkOverlay(kubectl, dir, overlay) {
  const where = `${path.relative(sourceDir, dir) || dir} (${path.basename(kubectl)} ${kubectlVersion(kubectl)})`;
  let objects;
  try {
    objects = render(kubectl, dir);
  } catch (error) {
    return { problems: [`${where}: kubectl kustomize fails: ${(error.stderr || error.message).trim()}`], objects: [] };
  }
  return { problems: [...(await schemaProblems(objects, where)), ...policyProblems(objects, where, overlay)], objects };
}

const versions = new Map();
function kubectlVersion(kubectl) {
  if (!versions.has(kubectl)) {
    let text = "";
    try {
      text = execFileSync(kubectl, ["version", "--client"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      text = "";
    }
    const match = text.match(/GitVersion:"(v[^"]+)"/) || text.match(/Client Version: (v\S+)/);
    versions.set(kubectl, match ? match[1] : "unknown version");
  }
  return versions.get(kubectl);
}

const key = (o) => `${o.kind}/${o.metadata?.namespace}/${o.metadata?.name}`;
const problems = [];
const rendered = {};
for (const overlay of ["dev", "prod"]) {
  for (const kubectl of kubectls) {
    const result = await checkOverlay(kubectl, path.join(k8sDir, "overlays", overlay), overlay);
    problems.push(...result.problems);
    const names = result.objects.map(key).sort();
    if (rendered[overlay] && names.length && JSON.stringify(rendered[overlay].names) !== JSON.stringify(names)) {
      problems.push(`deploy/k8s/overlays/${overlay}: ${kubectls[0]} and ${kubectl} render different objects`);
    }
    if (!rendered[overlay]) rendered[overlay] = { names, objects: result.objects };
    console.log(`${result.problems.length ? "FAIL" : "ok  "} deploy/k8s/overlays/${overlay} with ${kubectl} (${kubectlVersion(kubectl)}): ${result.objects.length} objects`);
  }
}
for (const problem of problems) console.log(`FAIL ${problem}`);

// Negative checks: each broken copy must be refused with the expected message.
const clone = (objects) => JSON.parse(JSON.stringify(objects));
const find = (objects, kind, n) => objects.find((o) => o.kind === kind && o.metadata.name === n);
const negatives = [
  ["replicas of the wrong type", "dev", (o) => { find(o, "Deployment", "mpli-resolver").spec.replicas = "two"; }, "spec/replicas must be integer"],
  ["a container list missing", "dev", (o) => { delete find(o, "Deployment", "mpli-gateway").spec.template.spec.containers; }, "Deployment/mpli-gateway (apps/v1) fails the Kubernetes schema"],
  ["a PDB with a bad field type", "dev", (o) => { find(o, "PodDisruptionBudget", "nats").spec.selector = "nats"; }, "PodDisruptionBudget/nats (policy/v1) fails the Kubernetes schema"],
  ["a CRD field of the wrong type", "prod", (o) => { find(o, "Cluster", "mpli-pg").spec.instances = "three"; }, "/spec/instances must be integer"],
  ["a CRD field not in the schema", "prod", (o) => { find(o, "Cluster", "mpli-pg").spec.instancez = 3; }, "must NOT have additional properties"],
  ["a writable root filesystem", "dev", (o) => { find(o, "Deployment", "mpli-trust").spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false; }, "Deployment/mpli-trust container trust: root filesystem is not read-only"],
  ["a service without probes", "dev", (o) => { delete find(o, "Deployment", "mpli-delivery").spec.template.spec.containers[0].livenessProbe; }, "container delivery: no livenessProbe"],
  ["an unknown kind", "dev", (o) => { o.push({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } }); }, "no schema for example.com/v1 Widget"],
  ["a real-looking secret", "dev", (o) => { find(o, "Secret", "mpli-nats-users").data.gateway = Buffer.from("s3cr3t").toString("base64"); }, "holds something other than a placeholder"],
];
let refused = 0;
const failedNegatives = [];
for (const [label, overlay, mutate, expected] of negatives) {
  const objects = clone(rendered[overlay].objects);
  mutate(objects);
  const found = [...(await schemaProblems(objects, `negative(${label})`)), ...policyProblems(objects, `negative(${label})`, overlay)];
  if (found.some((p) => p.includes(expected))) {
    refused++;
    console.log(`ok   negative check ${label}: refused (${expected})`);
  } else {
    failedNegatives.push(label);
    console.log(`FAIL negative check ${label}: expected a problem containing '${expected}', got ${found.length ? found.join(" | ") : "none"}`);
  }
}
// An overlay that does not render (a resource file that does not exist) is refused too.
{
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-k8s-"));
  fs.cpSync(k8sDir, path.join(tmp, "k8s"), { recursive: true });
  const kustomization = path.join(tmp, "k8s", "overlays", "dev", "kustomization.yaml");
  fs.writeFileSync(kustomization, fs.readFileSync(kustomization, "utf8").replace("- postgresql.yaml", "- postgresql-missing.yaml"));
  const result = await checkOverlay(kubectls[0], path.join(tmp, "k8s", "overlays", "dev"), "dev");
  fs.rmSync(tmp, { recursive: true, force: true });
  if (result.problems.some((p) => p.includes("kubectl kustomize fails"))) {
    refused++;
    console.log("ok   negative check an overlay naming a missing file: refused (kubectl kustomize fails)");
  } else {
    failedNegatives.push("missing file");
    console.log(`FAIL negative check an overlay naming a missing file: not refused (${result.problems.join(" | ") || "no problem"})`);
  }
}

if (problems.length || failedNegatives.length) {
  console.log(`check_k8s: ${problems.length} problem(s), ${failedNegatives.length} negative check(s) not refused`);
  process.exit(1);
}
console.log(`check_k8s: deploy/k8s overlays dev and prod ok with ${kubectls.length} kubectl(s) (${kubectls.map(kubectlVersion).join(", ")}); ${refused} negative checks refused`);
