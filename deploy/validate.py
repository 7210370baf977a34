#!/usr/bin/env python3
"""Checks Tower's Kubernetes manifests (deploy/agones/) before anyone applies them.

- Kubernetes kinds: against Kubernetes' own JSON schemas (PyPI `kubernetes-validate`, which
  bundles them), strict (unknown fields refused), for every Kubernetes version Agones v1.56
  supports (1.32, 1.33, 1.34).
- Agones kinds (Fleet, FleetAutoscaler): against agones/schema/agones-v1.56.schema.json,
  Tower's schema of the fields Agones v1.56 documents; the Pod template inside a Fleet is
  checked as a Kubernetes PodTemplate, strict.
- Tower's rules: no Secret objects and no literal keys (a variable named like a key or a
  password must come from a secretKeyRef to the Secret `tower-keys`), the `players`
  Counter and its scale-down priority, a FleetAutoscaler that names an existing Fleet
  and Counter with consistent capacities, and a Service reachable from outside the cluster
  (LoadBalancer, NodePort) only on TLS: each of its TCP ports targets a container port named
  `https` of a container that mounts a Secret volume (its certificate), never Nakama's plain
  HTTP, gRPC or console.

Usage: validate.py [DIR_OR_FILE ...]   (default: deploy/agones). Exit 1 on any problem.
"""

import json
import re
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml

HERE = Path(__file__).resolve().parent
AGONES_SCHEMA = HERE / "agones" / "schema" / "agones-v1.56.schema.json"
K8S_VERSIONS = ("1.32.0", "1.33.0", "1.34.0")
AGONES_KINDS = {("agones.dev/v1", "Fleet"), ("autoscaling.agones.dev/v1", "FleetAutoscaler")}
KUSTOMIZATION = "kustomize.config.k8s.io/v1beta1"
SECRET_NAME = "tower-keys"
SECRET_KEYS = {
    "ticket-key", "http-key", "db-password", "server-key", "session-key", "refresh-key",
    "console-password", "console-signing-key",
}
SENSITIVE = re.compile(r"KEY|PASSWORD|SECRET|TOKEN", re.IGNORECASE)
PLAYERS = "players"
PUBLIC_SERVICE_TYPES = {"LoadBalancer", "NodePort"}
TLS_PORT_NAME = "https"
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}


def load(path):
    """(document, where) for every non-empty YAML document in `path`."""
    with open(path, encoding="utf-8") as f:
        docs = list(yaml.safe_load_all(f))
    return [(d, f"{path}#{i}") for i, d in enumerate(docs) if d is not None]


def k8s_errors(doc, where):
    errors = []
    for version in K8S_VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            errors.append(f"{where}: Kubernetes {version}: {e.message} at {'.'.join(map(str, e.path))}")
            break
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{where}: no Kubernetes {version} schema for {doc.get('apiVersion')}/{doc.get('kind')}")
            break
    return errors


def agones_errors(doc, where, schema):
    kind = doc["kind"]
    validator = jsonschema.Draft202012Validator({**schema, "$ref": f"#/$defs/{kind}"})
    errors = [
        f"{where}: Agones {kind}: {e.message} at {'.'.join(map(str, e.absolute_path)) or '(top)'}"
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if kind == "Fleet" and not errors:
        pod = doc["spec"]["template"]["spec"]["template"]
        wrapped = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "fleet-pod"}, "template": pod}
        errors += k8s_errors(wrapped, f"{where} (Fleet pod template)")
    return errors


def containers(doc):
    """Every container of a workload or a Fleet, with where it sits."""
    spec = doc.get("spec") or {}
    if doc.get("kind") == "Fleet":
        pod = ((spec.get("template") or {}).get("spec") or {}).get("template") or {}
    else:
        pod = spec.get("template") or {}
    pod_spec = pod.get("spec") or {}
    for field in ("initContainers", "containers"):
        for c in pod_spec.get(field) or []:
            yield c


def secret_errors(doc, where):
    errors = []
    if doc.get("kind") == "Secret":
        errors.append(f"{where}: a Secret in the repository; create `{SECRET_NAME}` with kubectl (docs/deploy.md)")
    for c in containers(doc):
        for env in c.get("env") or []:
            name = env.get("name", "")
            ref = (env.get("valueFrom") or {}).get("secretKeyRef")
            if ref is not None:
                if ref.get("name") != SECRET_NAME or ref.get("key") not in SECRET_KEYS:
                    errors.append(f"{where}: {c.get('name')}: {name} refers to {ref}, not a key of Secret {SECRET_NAME}")
            elif SENSITIVE.search(name):
                errors.append(f"{where}: {c.get('name')}: {name} looks like a key but is not from a secretKeyRef")
    return errors


def fleet_errors(fleets, autoscalers):
    errors = []
    for where, fleet in fleets.values():
        spec = fleet["spec"]
        counter = (spec["template"]["spec"].get("counters") or {}).get(PLAYERS)
        if not counter or not counter.get("capacity"):
            errors.append(f"{where}: the Fleet needs a `{PLAYERS}` Counter with a capacity")
        wanted = {"type": "Counter", "key": PLAYERS, "order": "Descending"}
        if wanted not in (spec.get("priorities") or []):
            errors.append(f"{where}: the Fleet must scale down the emptiest first: priorities {wanted}")
        pod = spec["template"]["spec"]["template"].get("spec") or {}
        if not pod.get("terminationGracePeriodSeconds"):
            errors.append(f"{where}: the pod needs terminationGracePeriodSeconds (the drain's bound)")
    for where, fas in autoscalers:
        spec = fas["spec"]
        fleet = fleets.get(spec["fleetName"])
        if fleet is None:
            errors.append(f"{where}: FleetAutoscaler for unknown Fleet {spec['fleetName']!r}")
            continue
        policy = spec["policy"]
        if policy["type"] != "Counter":
            continue
        c = policy["counter"]
        counters = fleet[1]["spec"]["template"]["spec"].get("counters") or {}
        if c["key"] not in counters:
            errors.append(f"{where}: Counter {c['key']!r} is not a Counter of Fleet {spec['fleetName']!r}")
        buffer, low, high = c["bufferSize"], c.get("minCapacity", 0), c["maxCapacity"]
        if isinstance(buffer, int):
            if buffer < 1 or buffer > high or (low and low < buffer):
                errors.append(f"{where}: need 1 <= bufferSize <= maxCapacity and minCapacity >= bufferSize")
        elif not low:
            errors.append(f"{where}: a percentage bufferSize needs minCapacity")
        if low and low >= high:
            errors.append(f"{where}: minCapacity must be below maxCapacity")
    return errors


def exposure_errors(services, workloads):
    """A Service reachable from outside the cluster serves TLS only (see the module doc)."""
    errors = []
    for where, svc in services:
        spec = svc.get("spec") or {}
        if spec.get("type") not in PUBLIC_SERVICE_TYPES:
            continue
        name = svc["metadata"]["name"]
        selector = spec.get("selector") or {}
        pods = [(w, pod) for w, labels, pod in workloads if selector and selector.items() <= labels.items()]
        if not pods:
            errors.append(f"{where}: {spec['type']} Service {name} selects no pod of these manifests")
        for port in spec.get("ports") or []:
            if port.get("protocol", "TCP") != "TCP":
                continue
            target = port.get("targetPort", port.get("port"))
            label = f"port {port.get('name') or port.get('port')}"
            for w, pod in pods:
                secret_volumes = {v["name"] for v in pod.get("volumes") or [] if "secret" in v}
                served = [(c, cp) for c in pod.get("containers") or [] for cp in c.get("ports") or []
                          if target in (cp.get("name"), cp.get("containerPort"))]
                if not served:
                    errors.append(f"{where}: {name} {label} targets {target!r}, which no container of {w} serves")
                for c, cp in served:
                    mounts = {m.get("name") for m in c.get("volumeMounts") or []}
                    if cp.get("name") != TLS_PORT_NAME:
                        errors.append(
                            f"{where}: {name} {label} exposes {c.get('name')}'s port "
                            f"{cp.get('name') or cp.get('containerPort')} ({cp.get('containerPort')}) outside the "
                            f"cluster in plain text: only a TLS port named `{TLS_PORT_NAME}` may be")
                    elif not mounts & secret_volumes:
                        errors.append(f"{where}: {name} {label}: {c.get('name')} serves `{TLS_PORT_NAME}` "
                                      "without a certificate from a Secret volume")
    return errors


def kustomization_errors(doc, where, path):
    errors = []
    for resource in doc.get("resources") or []:
        if not (path.parent / resource).is_file():
            errors.append(f"{where}: resource {resource} does not exist")
    return errors


def validate(paths):
    schema = json.loads(AGONES_SCHEMA.read_text(encoding="utf-8"))
    files = []
    for p in map(Path, paths):
        files += sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    if not files:
        return [f"no manifests in {' '.join(paths)}"]
    errors, fleets, autoscalers, checked = [], {}, [], 0
    services, workloads = [], []
    for path in files:
        try:
            docs = load(path)
        except yaml.YAMLError as e:
            errors.append(f"{path}: not YAML: {e}")
            continue
        for doc, where in docs:
            if not isinstance(doc, dict) or "kind" not in doc or "apiVersion" not in doc:
                errors.append(f"{where}: not a Kubernetes object (apiVersion and kind)")
                continue
            key = (doc["apiVersion"], doc["kind"])
            if doc["apiVersion"] == KUSTOMIZATION:
                errors += kustomization_errors(doc, where, path)
                continue
            checked += 1
            if key in AGONES_KINDS:
                found = agones_errors(doc, where, schema)
                errors += found
                if not found and doc["kind"] == "Fleet":
                    fleets[doc["metadata"]["name"]] = (where, doc)
                elif not found:
                    autoscalers.append((where, doc))
            elif "agones.dev" in doc["apiVersion"]:
                errors.append(f"{where}: Agones kind {key} has no schema here")
            else:
                errors += k8s_errors(doc, where)
            errors += secret_errors(doc, where)
            if doc["kind"] == "Service":
                services.append((where, doc))
            elif doc["kind"] in WORKLOADS:
                template = (doc.get("spec") or {}).get("template") or {}
                labels = (template.get("metadata") or {}).get("labels") or {}
                workloads.append((where, labels, template.get("spec") or {}))
    errors += fleet_errors(fleets, autoscalers)
    errors += exposure_errors(services, workloads)
    if not errors:
        print(f"{checked} objects in {len(files)} files valid (Kubernetes {', '.join(K8S_VERSIONS)}; Agones v1.56)")
    return errors


def main(argv):
    errors = validate(argv or [str(HERE / "agones")])
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
