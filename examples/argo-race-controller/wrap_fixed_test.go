//go:build fixed

package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// With the rc2 wrapper, clients built and used concurrently (as pod cleanup workers do with
// execs) each reach their own transport, and the shared counter counts every request exactly once.
func TestRc2WrapperConcurrentClientsExactCount(t *testing.T) {
	m := newMetrics()
	addK8sRequests(m)
	cfg := newTestConfig()
	const clients, perClient = 16, 50
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			name := fmt.Sprint("client-", c)
			hits := make(chan string, perClient)
			rt := httpWrappersForConfig(cfg.forComponent(name), &fakeTransport{name: name, hits: hits})
			for i := 0; i < perClient; i++ {
				r, _ := http.NewRequest("PUT", "http://h/api/v1/namespaces/default/pods/p", nil)
				if _, err := rt.RoundTrip(r); err != nil {
					errs <- err
					return
				}
				if got := <-hits; got != name {
					errs <- fmt.Errorf("%s's request went through %s", name, got)
					return
				}
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := m.Sum(nameK8sRequestTotal); got != clients*perClient {
		t.Fatalf("counted %d requests, sent %d", got, clients*perClient)
	}
}
