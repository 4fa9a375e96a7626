package main

// Pod exec, modelled on Argo Workflows v3.6.0-rc1:
//   - workflow/signal/signal.go: SignalContainer -> ExecPodContainerAndGetOutput
//     (runs `argoexec kill <sig> 1`; here the mock's `kill -<sig> 1`)
//   - workflow/common/util.go: ExecPodContainer builds a NEW clientset with
//     kubernetes.NewForConfig(restConfig) (-> WrapTransport), then
//     remotecommand.NewSPDYExecutor(restConfig, ...) which builds a NEW upgrade
//     transport and wraps it with the same config (-> WrapTransport again).
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

// execPodContainer is Argo's common.ExecPodContainer: a new client for the request URL, then a new executor.
func execPodContainer(restConfig *restConfig, namespace, pod, container string, stdout, stderr bool, command ...string) (*streamExecutor, error) {
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
	return newWebSocketExecutor(restConfig, http.MethodGet, u), nil
}

// streamExecutor runs one exec stream (client-go remotecommand's streamExecutor, reduced).
type streamExecutor struct {
	upgrader  *wsRoundTripper
	transport http.RoundTripper
	method    string
	url       *url.URL
}

// newWebSocketExecutor mirrors remotecommand.NewSPDYExecutor: spdy.RoundTripperFor(config) builds
// the upgrader and wraps it with transport.HTTPWrappersForConfig -> config.WrapTransport.
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
