//go:build fixed

// The metrics transport wrapper as fixed in Argo Workflows v3.6.0-rc2
// (workflow/metrics/metrics_k8s_request.go, commit 524406451f "fix: Prevent
// data race from global metrics round-tripper (#13641)"): each WrapTransport
// call returns a NEW metricsRoundTripper around the transport it was given;
// only the context (ctx and the metrics the counters live in) is shared.
package main

import (
	"context"
	"net/http"
	"time"
)

const buildName = "fixed"

type metricsRoundTripperContext struct {
	ctx     context.Context
	metrics *Metrics
}

type metricsRoundTripper struct {
	*metricsRoundTripperContext
	roundTripper http.RoundTripper
}

// This is a messy global as we need to register as a roundtripper before
// we can instantiate metrics (comment kept from Argo v3.6.0-rc2).
var k8sMetrics metricsRoundTripperContext

// addK8sRequests registers the metrics the wrappers record into (Argo: addK8sRequests).
// It must run before the first client is built (main.go does so), else it races with RoundTrip.
func addK8sRequests(m *Metrics) {
	k8sMetrics.metrics = m
}

func (m metricsRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	startTime := time.Now()
	x, err := m.roundTripper.RoundTrip(r)
	duration := time.Since(startTime)
	if x != nil && m.metrics != nil {
		m.metrics.recordK8sRequest(m.ctx, r, x.StatusCode, duration)
	}
	return x, err
}

// addMetricsTransportWrapper is Argo's AddMetricsTransportWrapper at v3.6.0-rc2.
// (rc2 no longer stores ctx anywhere; the shared context's ctx stays nil, as in Argo.)
func addMetricsTransportWrapper(ctx context.Context, config *restConfig) *restConfig {
	wrap := config.WrapTransport
	config.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if wrap != nil {
			rt = wrap(rt)
		}
		return &metricsRoundTripper{roundTripper: rt, metricsRoundTripperContext: &k8sMetrics}
	}
	return config
}
