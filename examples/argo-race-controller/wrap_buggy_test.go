//go:build !fixed

package main

import (
	"net/http"
	"testing"
)

// The rc1 wrapper, shown without concurrency (so without a data race): building a second
// client re-points the first client's requests to the second client's transport.
func TestRc1WrapperRoutesThroughLastWrappedTransport(t *testing.T) {
	addK8sRequests(newMetrics())
	cfg := newTestConfig()
	hits := make(chan string, 2)
	first := httpWrappersForConfig(cfg.forComponent("first"), &fakeTransport{name: "first", hits: hits})
	_ = httpWrappersForConfig(cfg.forComponent("second"), &fakeTransport{name: "second", hits: hits})
	r, _ := http.NewRequest("GET", "http://h/api/v1/namespaces/default/pods", nil)
	if _, err := first.RoundTrip(r); err != nil {
		t.Fatal(err)
	}
	if got := <-hits; got != "second" {
		t.Fatalf("the first client's request went through %q; rc1 sends it through the last wrapped transport, %q", got, "second")
	}
}
