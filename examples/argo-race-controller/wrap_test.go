package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// fakeTransport answers every request itself and records that it did.
type fakeTransport struct {
	name string
	hits chan string
}

func (f *fakeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.hits != nil {
		f.hits <- f.name
	}
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("{}")), Request: r, Header: http.Header{}}, nil
}

func newTestConfig() *restConfig {
	cfg := &restConfig{Host: "http://127.0.0.1:1"}
	addK8SLogTransportWrapper(cfg)
	addMetricsTransportWrapper(context.Background(), cfg)
	return cfg
}

func TestParseRequest(t *testing.T) {
	cases := []struct{ method, url, verb, kind string }{
		{"GET", "/api/v1/namespaces/default/pods", "List", "pods"},
		{"GET", "/api/v1/namespaces/default/pods?watch=1", "Watch", "pods"},
		{"GET", "/api/v1/namespaces/default/pods/p1", "Get", "pods"},
		{"PUT", "/apis/argoproj.io/v1alpha1/namespaces/default/workflows/w/status", "Update", "workflows/status"},
		{"POST", "/api/v1/namespaces/default/pods/p1/exec?command=kill", "Create", "pods/exec"},
		{"PATCH", "/api/v1/namespaces/default/events/e1", "Patch", "events"},
		{"DELETE", "/api/v1/namespaces/default/pods/p1", "Delete", "pods"},
	}
	for _, c := range cases {
		r, _ := http.NewRequest(c.method, "http://h"+c.url, nil)
		verb, kind := parseRequest(r)
		if verb != c.verb || kind != c.kind {
			t.Errorf("%s %s: got %s %s, want %s %s", c.method, c.url, verb, kind, c.verb, c.kind)
		}
	}
}

func TestMetricsCountEachRequestOnce(t *testing.T) {
	m := newMetrics()
	addK8sRequests(m)
	cfg := newTestConfig()
	rt := httpWrappersForConfig(cfg.forComponent("test"), &fakeTransport{name: "a"})
	for i := 0; i < 3; i++ {
		r, _ := http.NewRequest("GET", "http://h/api/v1/namespaces/default/pods/p", nil)
		if _, err := rt.RoundTrip(r); err != nil {
			t.Fatal(err)
		}
	}
	var b strings.Builder
	m.WriteText(&b)
	want := `argo_workflows_k8s_request_total{kind="pods",verb="Get",status_code="200"} 3`
	if !strings.Contains(b.String(), want) {
		t.Fatalf("metrics text lacks %q:\n%s", want, b.String())
	}
}
