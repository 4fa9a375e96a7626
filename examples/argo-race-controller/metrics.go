package main

// Metrics: a tiny, mutex-protected stand-in for Argo's OpenTelemetry metrics
// (util/telemetry, workflow/metrics/metrics_k8s_request.go), served in the
// Prometheus text format. The counters are synchronized in BOTH builds, as
// OpenTelemetry's were in Argo: what goes wrong in the buggy build is which
// transport a request goes through, not the counter arithmetic (see README).

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	// Argo: nameK8sRequestTotal = `k8s_request_total`, exported with the `argo_workflows_` prefix.
	nameK8sRequestTotal = "argo_workflows_k8s_request_total"
	nameExecTotal       = "argo_race_controller_pod_exec_total"
	nameWorkflowsDone   = "argo_race_controller_workflows_completed_total"
	nameQueueAdds       = "argo_race_controller_queue_adds_total"
)

var metricHelp = map[string]string{
	nameK8sRequestTotal: "Number of kubernetes requests executed.",
	nameExecTotal:       "Pod execs (kill into a container) by result.",
	nameWorkflowsDone:   "Workflows this controller completed, by phase.",
	nameQueueAdds:       "Items added to a work queue, by queue.",
}

// Metrics holds counters keyed by name and label set; safe for concurrent use.
type Metrics struct {
	mu       sync.Mutex
	counters map[string]map[string]int64 // name -> rendered labels -> value
}

func newMetrics() *Metrics {
	return &Metrics{counters: map[string]map[string]int64{}}
}

// AddInt adds n to the counter `name` with labels given as alternating key, value.
func (m *Metrics) AddInt(name string, n int64, kv ...string) {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", kv[i], kv[i+1])
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	series := m.counters[name]
	if series == nil {
		series = map[string]int64{}
		m.counters[name] = series
	}
	series[b.String()] += n
}

// recordK8sRequest counts one request in argo_workflows_k8s_request_total{kind,verb,status_code}
// (attributes as Argo's telemetry.AttribRequestKind/Verb/Code).
func (m *Metrics) recordK8sRequest(_ context.Context, r *http.Request, code int, _ time.Duration) {
	verb, kind := parseRequest(r)
	m.AddInt(nameK8sRequestTotal, 1, "kind", kind, "verb", verb, "status_code", fmt.Sprint(code))
}

// Sum returns the total of counter `name` over all its label sets.
func (m *Metrics) Sum(name string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var t int64
	for _, v := range m.counters[name] {
		t += v
	}
	return t
}

// WriteText writes every counter in the Prometheus text exposition format, sorted.
func (m *Metrics) WriteText(w *strings.Builder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.counters))
	for n := range m.counters {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, metricHelp[name], name)
		series := m.counters[name]
		keys := make([]string, 0, len(series))
		for k := range series {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s{%s} %d\n", name, k, series[k])
		}
	}
}

// serveMetrics serves /metrics and /healthz on addr until ctx ends.
func serveMetrics(ctx context.Context, addr string, m *Metrics, healthy func() bool) (string, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		var b strings.Builder
		m.WriteText(&b)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write([]byte(b.String()))
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !healthy() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return ln.Addr().String(), nil
}
