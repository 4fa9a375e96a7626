package main

// A minimal Kubernetes REST client built the way client-go's NewForConfig
// builds one (rest.HTTPClientFor -> transport.New -> HTTPWrappersForConfig):
//
//	http.Transport -> config.WrapTransport (Argo: metrics(logging(rt))) -> bearer auth -> user agent
//
// plus a per-client token bucket (config QPS/Burst) in front, as client-go's
// rest.Request does. Every component (and every pod exec) builds its own.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// restConfig is the subset of client-go's rest.Config the controller uses. Copy it
// (forComponent) per client; WrapTransport is the chain Argo's wrappers install.
type restConfig struct {
	Host          string // e.g. http://127.0.0.1:6443
	BearerToken   string
	UserAgent     string
	QPS           float64
	Burst         int
	WrapTransport func(rt http.RoundTripper) http.RoundTripper
}

// forComponent returns a copy of c whose User-Agent names the component.
func (c *restConfig) forComponent(component string) *restConfig {
	cp := *c
	cp.UserAgent = fmt.Sprintf("argo-race-controller/%s (%s)", buildName, component)
	return &cp
}

// httpWrappersForConfig mirrors client-go transport.HTTPWrappersForConfig: WrapTransport
// innermost, then auth, then the user agent outermost.
func httpWrappersForConfig(config *restConfig, rt http.RoundTripper) http.RoundTripper {
	if config.WrapTransport != nil {
		rt = config.WrapTransport(rt)
	}
	if config.BearerToken != "" {
		rt = &bearerAuthRoundTripper{token: config.BearerToken, rt: rt}
	}
	if config.UserAgent != "" {
		rt = &userAgentRoundTripper{agent: config.UserAgent, rt: rt}
	}
	return rt
}

type userAgentRoundTripper struct {
	agent string
	rt    http.RoundTripper
}

func (u *userAgentRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("User-Agent", u.agent)
	return u.rt.RoundTrip(req)
}

type bearerAuthRoundTripper struct {
	token string
	rt    http.RoundTripper
}

func (b *bearerAuthRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("Authorization") != "" {
		return b.rt.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	return b.rt.RoundTrip(req)
}

// Client talks JSON over HTTP/1.1 to the API server; safe for concurrent use.
type Client struct {
	host    *url.URL
	http    *http.Client
	limiter *tokenBucket
}

// newForConfig builds a client like kubernetes.NewForConfig: its own http.Transport
// wrapped by httpWrappersForConfig (which calls config.WrapTransport once).
func newForConfig(config *restConfig) (*Client, error) {
	host, err := url.Parse(config.Host)
	if err != nil || host.Scheme != "http" || host.Host == "" {
		return nil, fmt.Errorf("server %q: only http://host:port servers are supported", config.Host)
	}
	base := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 25,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Client{
		host:    host,
		http:    &http.Client{Transport: httpWrappersForConfig(config, base)},
		limiter: newTokenBucket(config.QPS, config.Burst),
	}, nil
}

// apiError is a non-2xx answer, with the Status the server sent.
type apiError struct {
	Code    int
	Reason  string
	Message string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Code, e.Reason, e.Message)
}

func statusCode(err error) int {
	if e, ok := err.(*apiError); ok {
		return e.Code
	}
	return 0
}

func isNotFound(err error) bool { return statusCode(err) == http.StatusNotFound }
func isConflict(err error) bool {
	return statusCode(err) == http.StatusConflict && !isAlreadyExists(err)
}
func isAlreadyExists(err error) bool {
	e, ok := err.(*apiError)
	return ok && e.Reason == "AlreadyExists"
}

// URL returns the full URL of an API path with query.
func (c *Client) URL(path string, query url.Values) *url.URL {
	u := *c.host
	u.Path = path
	u.RawQuery = query.Encode()
	return &u
}

// Do sends one request (rate limited, 30 s timeout) and decodes a JSON answer into out (if not nil).
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body interface{}, contentType string, out interface{}) error {
	if err := c.limiter.Wait(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL(path, query).String(), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		if contentType == "" {
			contentType = "application/json"
		}
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading body: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeStatus(resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decoding %q: %w", method, path, truncate(data, 120), err)
		}
	}
	return nil
}

// Watch starts a watch request and returns its streaming body (no timeout; ctx ends it).
func (c *Client) Watch(ctx context.Context, path string, query url.Values) (io.ReadCloser, error) {
	if err := c.limiter.Wait(ctx); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(path, query).String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return nil, decodeStatus(resp.StatusCode, data)
	}
	return resp.Body, nil
}

func decodeStatus(code int, data []byte) error {
	var st struct {
		Reason  string `json:"reason"`
		Message string `json:"message"`
	}
	if json.Unmarshal(data, &st) != nil || st.Message == "" {
		st.Message = strings.TrimSpace(string(truncate(data, 200)))
	}
	return &apiError{Code: code, Reason: st.Reason, Message: st.Message}
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
