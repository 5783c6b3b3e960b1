#!/usr/bin/env python3
"""Independent checks of Kubernetes manifests (what `ward deploy k8s` writes).

usage: k8s_check.py schema FILE.yaml          every document valid against the
                                               vendored JSON schema of its
                                               apiVersion/kind (tests/data/k8s)
       k8s_check.py pss FILE.yaml             every pod template passes the
                                               "restricted" Pod Security Standard
       k8s_check.py same FILE.yaml FILE.json  the YAML stream is the JSON
                                               {"documents": [...]}, value for value
       k8s_check.py policies FILE.yaml PUB    the admission policies carry the fields
                                               their engines need and key PUB
Documents are read with PyYAML (a YAML 1.1 reader: a string written plain as
`on` or `8080` would come back as a bool or a number and fail the schema).
Exit 0 when everything holds, 1 with the reasons otherwise.
"""
import gzip
import json
import os
import sys

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "k8s")

SCHEMAS = {
    ("apps/v1", "Deployment"): "deployment-apps-v1.json.gz",
    ("v1", "Service"): "service-v1.json.gz",
    ("networking.k8s.io/v1", "NetworkPolicy"): "networkpolicy-networking-v1.json.gz",
    ("policy.sigstore.dev/v1beta1", "ClusterImagePolicy"):
        "clusterimagepolicy-policy.sigstore.dev-v1beta1.json.gz",
    ("kyverno.io/v1", "ClusterPolicy"): "clusterpolicy-kyverno.io-v1.json.gz",
}


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def check_schema(docs):
    errors = []
    for i, d in enumerate(docs):
        key = (d.get("apiVersion"), d.get("kind"))
        if key not in SCHEMAS:
            errors.append("document %d: no schema for %s %s" % (i, key[0], key[1]))
            continue
        with gzip.open(os.path.join(DATA, SCHEMAS[key]), "rt", encoding="utf-8") as f:
            schema = json.load(f)
        # The CRD schemas (policy-controller, Kyverno) cover spec only.
        if not isinstance(d.get("metadata", {}).get("name"), str):
            errors.append("document %d (%s): metadata.name missing" % (i, key[1]))
        v = jsonschema.Draft7Validator(schema)
        for e in sorted(v.iter_errors(d), key=lambda e: list(e.absolute_path)):
            errors.append("document %d (%s) at %s: %s" % (
                i, key[1], "/".join(map(str, e.absolute_path)), e.message[:300]))
    return errors


# --------------------------------------------------------------- Pod Security
# The "baseline" and "restricted" levels, as the Kubernetes documentation
# defines them (concepts/security/pod-security-standards), for the pod
# template of a workload.
BASELINE_CAPS = {"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
                 "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
RESTRICTED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                      "persistentVolumeClaim", "projected", "secret"}
SELINUX_TYPES = {None, "", "container_t", "container_init_t", "container_kvm_t",
                 "container_engine_t"}


def pod_templates(docs):
    for d in docs:
        kind = d.get("kind")
        if kind == "Pod":
            yield kind, d.get("metadata", {}), d.get("spec", {})
        elif kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
            t = d.get("spec", {}).get("template", {})
            yield kind, t.get("metadata", {}), t.get("spec", {})


def pss_restricted(meta, spec):
    bad = []
    containers = [("containers", c) for c in spec.get("containers", [])]
    containers += [("initContainers", c) for c in spec.get("initContainers", [])]
    containers += [("ephemeralContainers", c) for c in spec.get("ephemeralContainers", [])]
    if not spec.get("containers"):
        bad.append("no containers")
    psc = spec.get("securityContext") or {}

    # baseline
    for k in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(k):
            bad.append("%s is true" % k)
    if (psc.get("windowsOptions") or {}).get("hostProcess"):
        bad.append("pod hostProcess")
    for v in spec.get("volumes", []):
        if "hostPath" in v:
            bad.append("volume %s is a hostPath" % v.get("name"))
        types = set(v) - {"name"}
        if not types <= RESTRICTED_VOLUMES or len(types) != 1:
            bad.append("volume %s has type %s" % (v.get("name"), sorted(types)))
    for s in psc.get("sysctls", []) or []:
        if s.get("name") not in SAFE_SYSCTLS:
            bad.append("unsafe sysctl %s" % s.get("name"))
    for key, val in (meta.get("annotations") or {}).items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and \
                not (val == "runtime/default" or val.startswith("localhost/")):
            bad.append("AppArmor annotation %s=%s" % (key, val))

    def selinux_ok(sc, where):
        o = sc.get("seLinuxOptions") or {}
        if o.get("type") not in SELINUX_TYPES or o.get("user") or o.get("role"):
            bad.append("%s: seLinuxOptions %s" % (where, o))

    def apparmor_ok(sc, where):
        p = sc.get("appArmorProfile")
        if p is not None and p.get("type") not in ("RuntimeDefault", "Localhost"):
            bad.append("%s: appArmorProfile %s" % (where, p))

    def seccomp_type(sc):
        p = sc.get("seccompProfile")
        return None if p is None else p.get("type")

    selinux_ok(psc, "pod")
    apparmor_ok(psc, "pod")
    if seccomp_type(psc) not in (None, "RuntimeDefault", "Localhost"):
        bad.append("pod seccompProfile %s" % seccomp_type(psc))
    if seccomp_type(psc) == "Localhost" and not psc["seccompProfile"].get("localhostProfile"):
        bad.append("pod Localhost seccompProfile without localhostProfile")
    if psc.get("runAsNonRoot") is False:
        bad.append("pod runAsNonRoot is false")
    if psc.get("runAsUser") == 0:
        bad.append("pod runAsUser is 0")

    for field, c in containers:
        where = "%s %s" % (field, c.get("name"))
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            bad.append(where + ": privileged")
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            bad.append(where + ": hostProcess")
        if sc.get("procMount") not in (None, "Default"):
            bad.append(where + ": procMount %s" % sc.get("procMount"))
        for p in c.get("ports", []) or []:
            if p.get("hostPort"):
                bad.append(where + ": hostPort %s" % p.get("hostPort"))
        selinux_ok(sc, where)
        apparmor_ok(sc, where)
        caps = sc.get("capabilities") or {}
        added = set(caps.get("add") or [])
        if not added <= BASELINE_CAPS:
            bad.append(where + ": adds %s" % sorted(added - BASELINE_CAPS))
        # restricted
        if sc.get("allowPrivilegeEscalation") is not False:
            bad.append(where + ": allowPrivilegeEscalation is not false")
        nonroot = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        if nonroot is not True:
            bad.append(where + ": runAsNonRoot is not true")
        if sc.get("runAsUser") == 0:
            bad.append(where + ": runAsUser is 0")
        st = seccomp_type(sc) or seccomp_type(psc)
        if st not in ("RuntimeDefault", "Localhost"):
            bad.append(where + ": seccompProfile is %s" % st)
        if "ALL" not in (caps.get("drop") or []):
            bad.append(where + ": capabilities do not drop ALL")
        if not added <= {"NET_BIND_SERVICE"}:
            bad.append(where + ": adds capabilities beyond NET_BIND_SERVICE")
    return bad


def check_pss(docs):
    errors, n = [], 0
    for kind, meta, spec in pod_templates(docs):
        n += 1
        errors += ["%s: %s" % (kind, b) for b in pss_restricted(meta, spec)]
    if n == 0:
        errors.append("no pod template found")
    return errors


def check_same(docs, json_path):
    with open(json_path, encoding="utf-8") as f:
        want = json.load(f)["documents"]
    if docs == want:
        return []
    return ["the YAML documents differ from the JSON ones:\n%s\n---\n%s" % (
        json.dumps(docs, indent=1)[:2000], json.dumps(want, indent=1)[:2000])]


def check_policies(docs, pub_path):
    with open(pub_path, encoding="utf-8") as f:
        pem = f.read().strip()
    errors = []
    cip = [d for d in docs if d.get("kind") == "ClusterImagePolicy"]
    kyv = [d for d in docs if d.get("kind") == "ClusterPolicy"]
    if len(cip) != 1 or len(kyv) != 1:
        return ["expected one ClusterImagePolicy and one ClusterPolicy"]
    c, k = cip[0], kyv[0]
    if "namespace" in c["metadata"] or "namespace" in k["metadata"]:
        errors.append("cluster-scoped policies carry a namespace")
    # policy-controller: images[].glob and an authority with the key.
    spec = c.get("spec", {})
    if not spec.get("images") or not all(i.get("glob") for i in spec["images"]):
        errors.append("ClusterImagePolicy: images[].glob required")
    auths = spec.get("authorities") or []
    if len(auths) != 1 or (auths[0].get("key") or {}).get("data", "").strip() != pem:
        errors.append("ClusterImagePolicy: one key authority with the public key")
    if "ctlog" in auths[0] if auths else False:
        errors.append("ClusterImagePolicy: a ctlog would demand a transparency log entry")
    # Kyverno: each rule needs name + match; verifyImages needs references
    # and an attestor with the key; no transparency log for key signatures.
    rules = k.get("spec", {}).get("rules") or []
    if len(rules) != 1 or not rules[0].get("name") or not rules[0].get("match"):
        errors.append("ClusterPolicy: a rule with name and match")
    else:
        vi = rules[0].get("verifyImages") or []
        if len(vi) != 1 or not vi[0].get("imageReferences"):
            errors.append("ClusterPolicy: verifyImages with imageReferences")
        else:
            entries = [e for a in vi[0].get("attestors", []) for e in a.get("entries", [])]
            keys = [e.get("keys", {}) for e in entries]
            if len(keys) != 1 or keys[0].get("publicKeys", "").strip() != pem:
                errors.append("ClusterPolicy: one attestor entry with the public key")
            elif keys[0].get("rekor", {}).get("ignoreTlog") is not True or \
                    keys[0].get("ctlog", {}).get("ignoreSCT") is not True:
                errors.append("ClusterPolicy: key signatures carry no tlog entry or SCT")
            if vi[0].get("failureAction") != "Enforce":
                errors.append("ClusterPolicy: failureAction is not Enforce")
    return errors


def main(argv):
    if len(argv) < 3 or argv[1] not in ("schema", "pss", "same", "policies"):
        print(__doc__, file=sys.stderr)
        return 2
    docs = load_yaml(argv[2])
    if argv[1] == "schema":
        errors = check_schema(docs)
    elif argv[1] == "pss":
        errors = check_pss(docs)
    elif argv[1] == "same":
        errors = check_same(docs, argv[3])
    else:
        errors = check_policies(docs, argv[3])
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
