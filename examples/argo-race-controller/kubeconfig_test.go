package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadKubeconfig(t *testing.T) {
	const cfg = `apiVersion: v1
kind: Config
clusters:
  - name: other
    cluster:
      server: http://127.0.0.1:1
  - name: racerig-mock
    cluster:
      server: http://127.0.0.1:36837
      insecure-skip-tls-verify: true
users:
  - name: racerig-mock
    user:
      token: "s3cret"
contexts:
  - context:
      cluster: racerig-mock
      user: racerig-mock
      namespace: default
    name: racerig-mock
current-context: racerig-mock
preferences: {}
`
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	server, token, err := readKubeconfig(path)
	if err != nil || server != "http://127.0.0.1:36837" || token != "s3cret" {
		t.Fatalf("got %q %q %v", server, token, err)
	}
}
