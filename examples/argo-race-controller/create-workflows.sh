#!/bin/sh
# Create N workflows (one step, one sidecar each) in a namespace of the API server at URL.
# usage: ./create-workflows.sh URL [N=50] [NAMESPACE=default] [PREFIX=wf]
set -eu
url=${1:?usage: $0 URL [N] [NAMESPACE] [PREFIX]}
n=${2:-50}
ns=${3:-default}
prefix=${4:-wf}
i=1
while [ "$i" -le "$n" ]; do
  curl -sS -o /dev/null -w '%{http_code} ' -X POST -H 'Content-Type: application/json' \
    "$url/apis/argoproj.io/v1alpha1/namespaces/$ns/workflows" -d '{
  "apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
  "metadata": {"name": "'"$prefix-$i"'", "annotations": {"racerig.dev/main-run-ms": "800"}},
  "spec": {"entrypoint": "main", "templates": [{"name": "main",
    "container": {"image": "busybox", "command": ["sh", "-c", "sleep 1"]},
    "sidecars": [{"name": "sidecar", "image": "nginx"}]}]}}'
  i=$((i + 1))
done
echo
