//go:build !fixed

// The metrics transport wrapper exactly as Argo Workflows v3.6.0-rc1 had it
// (workflow/metrics/metrics_k8s_request.go at v3.6.0-rc1): ONE global
// metricsRoundTripper whose inner roundTripper (and ctx) every call of
// WrapTransport overwrites, and which every client then shares.
//
// Every client built after startup (each pod exec builds two: a clientset and
// the upgrade transport) re-points the global at its own transport, so from the
// first exec on, all clients' requests go through the most recently wrapped
// transport, often another exec's upgrade transport. The race detector reports
// the unsynchronized writes here against the struct copy in RoundTrip (value
// receiver), and against the upgrade transport's conn field (see exec.go).
package main

import (
	"context"
	"net/http"
	"time"
)

const buildName = "buggy"

type metricsRoundTripper struct {
	ctx          context.Context
	roundTripper http.RoundTripper
	metrics      *Metrics
}

// This is a messy global as we need to register as a roundtripper before
// we can instantiate metrics (comment kept from Argo v3.6.0-rc1).
var k8sMetrics metricsRoundTripper

// addK8sRequests registers the metrics the wrapper records into (Argo: addK8sRequests).
func addK8sRequests(m *Metrics) {
	k8sMetrics.metrics = m
}

// RoundTrip has a value receiver as in Argo: calling it through &k8sMetrics
// copies the whole global (ctx, roundTripper, metrics) while Wrap writes it.
func (m metricsRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	startTime := time.Now()
	x, err := m.roundTripper.RoundTrip(r)
	duration := time.Since(startTime)
	if x != nil && m.metrics != nil {
		m.metrics.recordK8sRequest(m.ctx, r, x.StatusCode, duration)
	}
	return x, err
}

// addMetricsTransportWrapper is Argo's AddMetricsTransportWrapper at v3.6.0-rc1.
func addMetricsTransportWrapper(ctx context.Context, config *restConfig) *restConfig {
	wrap := config.WrapTransport
	config.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if wrap != nil {
			rt = wrap(rt)
		}
		k8sMetrics.ctx = ctx
		k8sMetrics.roundTripper = rt
		return &k8sMetrics
	}
	return config
}
