package main

// The logging transport wrapper, as in Argo Workflows v3.6.0-rc1 and rc2
// (util/logs/log-k8s-requests.go, unchanged by the fix): a NEW wrapper per
// WrapTransport call, so it was never the problem.

import (
	"log"
	"net/http"
	"time"
)

var extraLongThrottleLatency = 5 * time.Second

// debugLog turns on one log line per request (--v); set once at startup, read-only afterwards.
var debugLog bool

type k8sLogRoundTripper struct {
	roundTripper http.RoundTripper
}

func (m k8sLogRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	now := time.Now()
	x, err := m.roundTripper.RoundTrip(r)
	latency := time.Since(now)

	if x != nil {
		verb, kind := parseRequest(r)
		if latency > extraLongThrottleLatency {
			log.Printf("level=warning msg=\"Waited for %v, request: %s:%s\"", latency, verb, r.URL.String())
		}
		if debugLog {
			log.Printf("level=debug msg=\"%s %s %d\"", verb, kind, x.StatusCode)
		}
	}
	return x, err
}

// addK8SLogTransportWrapper is Argo's AddK8SLogTransportWrapper.
func addK8SLogTransportWrapper(config *restConfig) *restConfig {
	wrap := config.WrapTransport
	config.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		if wrap != nil {
			rt = wrap(rt)
		}
		return &k8sLogRoundTripper{roundTripper: rt}
	}
	return config
}
