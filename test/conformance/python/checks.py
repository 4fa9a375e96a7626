"""The conformance checks (test/conformance/checks.ts) through the official Python client.

Usage: python3 checks.py KUBECONFIG NAMESPACE
Prints one JSON line per check: {"id": ..., "ok": true|false, "detail": ...}. The namespace exists.
"""
import base64
import json
import sys
import threading
import time
import traceback

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

config.load_kube_config(config_file=sys.argv[1])
NS = sys.argv[2]
core = client.CoreV1Api()
custom = client.CustomObjectsApi()


def cm(name, data=None):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data or {"k": "v1"}}


def names():
    return [i.metadata.name for i in core.list_namespaced_config_map(NS).items]


def failure(call):
    try:
        call()
    except ApiException as e:
        return e.status, json.loads(e.body), e.headers
    raise AssertionError("the call succeeded")


def wait_for(what, check, timeout=5.0):
    deadline = time.time() + timeout
    while True:
        v = check()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


def dry_run_create():
    r = core.create_namespaced_config_map(NS, cm("dry"), dry_run="All")
    assert r.metadata.name == "dry"
    assert "dry" not in names()


def dry_run_delete():
    core.create_namespaced_config_map(NS, cm("keep"))
    core.delete_namespaced_config_map("keep", NS, dry_run="All")
    assert "keep" in names()


def dry_run_delete_all():
    core.create_namespaced_config_map(NS, cm("all-1"))
    before = names()
    core.delete_collection_namespaced_config_map(NS, dry_run="All")
    assert names() == before


def dry_run_delete_body():
    core.create_namespaced_config_map(NS, cm("body"))
    core.delete_namespaced_config_map("body", NS, body=client.V1DeleteOptions(dry_run=["All"], propagation_policy="Foreground"))
    assert "body" in names()


def dry_run_patch():
    core.create_namespaced_config_map(NS, cm("pt"))
    r = core.patch_namespaced_config_map("pt", NS, {"data": {"k": "a-much-longer-value-than-before"}}, dry_run="All")
    assert r.data["k"] == "a-much-longer-value-than-before"
    assert core.read_namespaced_config_map("pt", NS).data["k"] == "v1"


def dry_run_bad_value():
    code, body, _ = failure(lambda: core.create_namespaced_config_map(NS, cm("maybe"), dry_run="Maybe"))
    assert code == 422, code
    assert 'supported values: "All"' in body["message"], body


def field_manager_too_long():
    code, body, _ = failure(lambda: core.create_namespaced_config_map(NS, cm("fm"), field_manager="m" * 129))
    assert code == 422, code
    assert "may not be more than 128" in body["message"], body


def watch_check():
    # The generated client sends watch=True: it must be a watch, not a list.
    core.create_namespaced_config_map(NS, cm("w"))
    seen = []
    w = watch.Watch()

    def modify():
        wait_for("ADDED", lambda: "ADDED" in seen)
        core.patch_namespaced_config_map("w", NS, {"data": {"k": "v2"}})

    t = threading.Thread(target=modify)
    t.start()
    for ev in w.stream(core.list_namespaced_config_map, NS, field_selector="metadata.name=w", timeout_seconds=5):
        seen.append(ev["type"])
        if ev["type"] == "MODIFIED":
            w.stop()
    t.join(5)
    assert "ADDED" in seen and "MODIFIED" in seen, seen


def list_chunks():
    for i in range(5):
        core.create_namespaced_config_map(NS, cm("chunk-%d" % i))
    got, cont = [], None
    for _ in range(100):
        r = core.list_namespaced_config_map(NS, limit=2, _continue=cont)
        got += [i.metadata.name for i in r.items]
        cont = r.metadata._continue
        if not cont:
            break
    assert got == names(), got
    assert len(set(got)) == len(got)


def list_exact():
    first = core.list_namespaced_config_map(NS)
    core.create_namespaced_config_map(NS, cm("later"))
    then = core.list_namespaced_config_map(NS, resource_version=first.metadata.resource_version, resource_version_match="Exact")
    assert [i.metadata.name for i in then.items] == [i.metadata.name for i in first.items]


def list_match_needs_rv():
    code, body, _ = failure(lambda: core.list_namespaced_config_map(NS, resource_version_match="NotOlderThan"))
    assert code == 422, code
    assert "resourceVersionMatch is forbidden unless resourceVersion is provided" in body["message"], body


def too_new_resource_version():
    code, body, headers = failure(lambda: core.list_namespaced_config_map(NS, resource_version="999999999"))
    assert code == 504, code
    assert "Too large resource version" in body["message"], body
    assert body["details"]["retryAfterSeconds"] == 1
    assert headers.get("Retry-After") == "1", dict(headers)


def patch():
    core.create_namespaced_config_map(NS, cm("lab"))
    r = core.patch_namespaced_config_map("lab", NS, {"metadata": {"labels": {"tier": "gold"}}})
    assert r.metadata.labels["tier"] == "gold"


def logs():
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "talker", "annotations": {"racerig.dev/log": "hello\nfrom the mock"}},
           "spec": {"containers": [{"name": "main", "image": "busybox"}]}}
    core.create_namespaced_pod(NS, pod)
    wait_for("Running", lambda: core.read_namespaced_pod("talker", NS).status.phase == "Running")
    out = core.read_namespaced_pod_log("talker", NS)
    assert out == "hello\nfrom the mock\n", repr(out)


def custom_objects():
    g = ("conformance.racerig.dev", "v1", NS, "widgets")
    custom.create_namespaced_custom_object(*g, {"apiVersion": "conformance.racerig.dev/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 3}})
    items = custom.list_namespaced_custom_object(*g)["items"]
    assert [i["spec"]["size"] for i in items] == [3], items
    custom.delete_namespaced_custom_object(*g[:3], "widgets", "w1")
    assert custom.list_namespaced_custom_object(*g)["items"] == []


def secret_string_data():
    core.create_namespaced_secret(NS, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sd"}, "stringData": {"password": "s3cret"}})
    s = core.read_namespaced_secret("sd", NS)
    assert s.data["password"] == base64.b64encode(b"s3cret").decode(), s.data
    assert s.string_data is None


CHECKS = {
    "dry-run-create": dry_run_create,
    "dry-run-delete": dry_run_delete,
    "dry-run-delete-all": dry_run_delete_all,
    "dry-run-delete-body": dry_run_delete_body,
    "dry-run-patch": dry_run_patch,
    "dry-run-bad-value": dry_run_bad_value,
    "field-manager-too-long": field_manager_too_long,
    "watch": watch_check,
    "list-chunks": list_chunks,
    "list-exact": list_exact,
    "list-match-needs-rv": list_match_needs_rv,
    "too-new-resource-version": too_new_resource_version,
    "patch": patch,
    "logs": logs,
    "custom-objects": custom_objects,
    "secret-string-data": secret_string_data,
}

for cid in sys.argv[3].split(",") if len(sys.argv) > 3 else CHECKS:
    fn = CHECKS.get(cid)
    if fn is None:
        print(json.dumps({"id": cid, "ok": False, "detail": "no python implementation"}), flush=True)
        continue
    try:
        fn()
        print(json.dumps({"id": cid, "ok": True}), flush=True)
    except Exception:
        print(json.dumps({"id": cid, "ok": False, "detail": traceback.format_exc()}), flush=True)
