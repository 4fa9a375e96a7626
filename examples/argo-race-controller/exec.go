package main

// Pod exec, modelled on Argo Workflows v3.6.0-rc1:
//   - workflow/signal/signal.go: SignalContainer -> ExecPodContainerAndGetOutput
//     (runs `argoexec kill <sig> 1`; here the mock's `kill -<sig> 1`)
//   - workflow/common/util.go: ExecPodContainer builds a NEW clientset with
//     kubernetes.NewForConfig(restConfig) (-> WrapTransport), then
//     remotecommand.NewSPDYExecutor(restConfig, "POST", ...) which builds a NEW SPDY
//     upgrade transport and wraps it with the same config (-> WrapTransport again).
// So every exec calls the config's WrapTransport twice; in the buggy build
// each call re-points the one global metrics wrapper (wrap_buggy.go).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// execTimeout bounds one exec (Argo: 2 minutes, "workaround for when exec does not properly return").
const execTimeout = 30 * time.Second

const (
	streamStdout = 1
	streamStderr = 2
	streamError  = 3
)

// signalContainer sends signal sig to PID 1 of a container through exec (Argo: signal.SignalContainer).
func signalContainer(ctx context.Context, restConfig *restConfig, pod *Pod, container string, sig int) error {
	command := []string{"kill", "-" + strconv.Itoa(sig), "1"}
	return execPodContainerAndGetOutput(ctx, restConfig, pod.Metadata.Namespace, pod.Metadata.Name, container, command...)
}

func execPodContainerAndGetOutput(ctx context.Context, restConfig *restConfig, namespace, pod, container string, command ...string) error {
	x, err := execPodContainer(restConfig, namespace, pod, container, true, true, command...)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, execTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err = x.StreamWithContext(ctx, &stdout, &stderr)
	log.Printf("level=info msg=\"signaled container\" namespace=%s pod=%s container=%s command=%q stdout=%q stderr=%q error=%q",
		namespace, pod, container, strings.Join(command, " "), stdout.String(), stderr.String(), errString(err))
	return err
}

// execProtocol picks the exec transport: "spdy" (client-go remotecommand.NewSPDYExecutor, as Argo
// v3.6.0-rc1 uses) or "websocket" (v4.channel.k8s.io over RFC 6455). Set once at startup.
var execProtocol = "spdy"

// executor runs one exec stream (client-go remotecommand.Executor).
type executor interface {
	StreamWithContext(ctx context.Context, stdout, stderr io.Writer) error
}

// execPodContainer is Argo's common.ExecPodContainer: a new client for the request URL, then a new executor.
func execPodContainer(restConfig *restConfig, namespace, pod, container string, stdout, stderr bool, command ...string) (executor, error) {
	clientset, err := newForConfig(restConfig)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("container", container)
	q.Set("stdout", strconv.FormatBool(stdout))
	q.Set("stderr", strconv.FormatBool(stderr))
	q.Set("tty", "false")
	for _, c := range command {
		q.Add("command", c)
	}
	u := clientset.URL(fmt.Sprintf("/api/v1/namespaces/%s/pods/%s/exec", namespace, pod), q)
	log.Printf("level=info msg=%q", u.String()) // Argo: log.Info(execRequest.URL())
	if execProtocol == "websocket" {
		return newWebSocketExecutor(restConfig, http.MethodGet, u), nil
	}
	return newSPDYExecutor(restConfig, http.MethodPost, u), nil
}

// spdyStreamProtocols are client-go's remotecommand.SupportedStreamingProtocols, most preferred first.
var spdyStreamProtocols = []string{"v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"}

// spdyExecutor is client-go's spdyStreamExecutor (tools/remotecommand/spdy.go), reduced to stdout and stderr.
type spdyExecutor struct {
	upgrader  *spdyRoundTripper
	transport http.RoundTripper
	method    string
	url       *url.URL
}

// newSPDYExecutor mirrors remotecommand.NewSPDYExecutor: spdy.RoundTripperFor(config) builds the
// upgrader and wraps it with transport.HTTPWrappersForConfig, which calls config.WrapTransport.
func newSPDYExecutor(config *restConfig, method string, u *url.URL) *spdyExecutor {
	upgrader := newSpdyRoundTripper()
	wrapper := httpWrappersForConfig(config, upgrader)
	return &spdyExecutor{upgrader: upgrader, transport: wrapper, method: method, url: u}
}

// StreamWithContext negotiates the connection (spdy.Negotiate: the request through the wrapped
// transport, then the upgrader's NewConnection), opens the error, stdout and stderr streams in
// that order and copies them until the server ends them; the error stream carries the outcome.
func (e *spdyExecutor) StreamWithContext(ctx context.Context, stdout, stderr io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, e.method, e.url.String(), nil)
	if err != nil {
		return err
	}
	for _, p := range spdyStreamProtocols {
		req.Header.Add("X-Stream-Protocol-Version", p)
	}
	client := &http.Client{Transport: e.transport}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("error sending request: %w", err)
	}
	defer resp.Body.Close()
	conn, err := e.upgrader.NewConnection(resp)
	if err != nil {
		return err
	}
	defer conn.Close()
	protocol := resp.Header.Get("X-Stream-Protocol-Version")

	errc := make(chan error, 1)
	go func() { errc <- e.stream(ctx, conn, protocol, stdout, stderr) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		// client-go returns at once and leaves the copying goroutines writing into stdout/stderr
		// while the caller reads them; here the connection ends first, so both builds stay clear
		// of that race (it is not the one this example is about).
		conn.shutdown(ctx.Err())
		<-errc
		return ctx.Err()
	}
}

func (e *spdyExecutor) stream(ctx context.Context, conn *spdyConnection, protocol string, stdout, stderr io.Writer) error {
	open := func(streamType string) (*spdyStream, error) {
		return conn.CreateStream(ctx, http.Header{"streamType": {streamType}})
	}
	errorStream, err := open("error")
	if err != nil {
		return err
	}
	outStream, err := open("stdout")
	if err != nil {
		return err
	}
	errStream, err := open("stderr")
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		msg, err := io.ReadAll(errorStream)
		switch {
		case err != nil:
			errc <- fmt.Errorf("error reading from error stream: %w", err)
		case len(msg) == 0:
			errc <- nil
		case protocol == "v4.channel.k8s.io":
			errc <- decodeExecStatus(msg)
		default:
			errc <- fmt.Errorf("error executing remote command: %s", msg)
		}
	}()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = io.Copy(stdout, outStream) }()
	go func() { defer wg.Done(); _, _ = io.Copy(stderr, errStream) }()
	wg.Wait()
	return <-errc
}

// streamExecutor runs one exec stream over WebSocket (client-go's wsStreamExecutor, reduced).
type streamExecutor struct {
	upgrader  *wsRoundTripper
	transport http.RoundTripper
	method    string
	url       *url.URL
}

// newWebSocketExecutor mirrors remotecommand.NewSPDYExecutor with the WebSocket upgrader in place of SPDY.
func newWebSocketExecutor(config *restConfig, method string, u *url.URL) *streamExecutor {
	upgrader := newWebSocketRoundTripper("v4.channel.k8s.io")
	wrapper := httpWrappersForConfig(config, upgrader)
	return &streamExecutor{upgrader: upgrader, transport: wrapper, method: method, url: u}
}

// StreamWithContext sends the upgrade request through the wrapped transport, takes the
// connection from the upgrader (as spdy.Negotiate does) and copies the streams.
func (e *streamExecutor) StreamWithContext(ctx context.Context, stdout, stderr io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, e.method, e.url.String(), nil)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: e.transport}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("error sending request: %w", err)
	}
	defer resp.Body.Close()
	conn, err := e.upgrader.NewConnection(resp)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
			_ = conn.conn.SetDeadline(time.Now()) // unblock the reader below
		case <-stop:
		}
	}()
	for {
		_, msg, err := conn.ReadMessage()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if len(msg) == 0 {
			continue
		}
		switch msg[0] {
		case streamStdout:
			_, _ = stdout.Write(msg[1:])
		case streamStderr:
			_, _ = stderr.Write(msg[1:])
		case streamError:
			return decodeExecStatus(msg[1:])
		}
	}
}

// decodeExecStatus turns the error channel's Status into nil (Success) or an error.
func decodeExecStatus(b []byte) error {
	var st struct {
		Status  string `json:"status"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("exec: bad status %q: %w", truncate(b, 100), err)
	}
	if st.Status == "Success" {
		return nil
	}
	if st.Message == "" {
		return errors.New("exec: " + string(truncate(b, 200)))
	}
	return errors.New(st.Message)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
