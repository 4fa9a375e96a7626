package main

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
		for _, masked := range []bool{false, true} {
			payload := bytes.Repeat([]byte{'x'}, n)
			var buf bytes.Buffer
			if err := writeFrame(&buf, true, opBinary, payload, masked); err != nil {
				t.Fatal(err)
			}
			raw := buf.Bytes()
			if gotMasked := raw[1]&0x80 != 0; gotMasked != masked {
				t.Fatalf("n=%d: mask bit %v, want %v", n, gotMasked, masked)
			}
			if masked && n > 0 && bytes.Contains(raw, payload) && n > 4 {
				t.Fatalf("n=%d: masked frame carries the payload in clear", n)
			}
			f, err := readFrame(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if !f.fin || f.opcode != opBinary || !bytes.Equal(f.payload, payload) {
				t.Fatalf("n=%d masked=%v: got fin=%v op=%d len=%d", n, masked, f.fin, f.opcode, len(f.payload))
			}
		}
	}
}

func TestWebSocketAccept(t *testing.T) { // the example of RFC 6455 section 1.3
	if got := webSocketAccept("dGhlIHNhbXBsZSBub25jZQ=="); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("got %s", got)
	}
}

// execServer speaks the v4.channel.k8s.io exec protocol: stdout "hi", then the given Status.
func execServer(t *testing.T, status string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" || r.Header.Get("Sec-WebSocket-Protocol") != "v4.channel.k8s.io" {
			http.Error(w, "want a v4.channel.k8s.io websocket upgrade", http.StatusBadRequest)
			return
		}
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Protocol: v4.channel.k8s.io\r\nSec-WebSocket-Accept: " + webSocketAccept(r.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n")
		_ = writeFrame(brw, true, opBinary, append([]byte{streamStdout}, "hi\n"...), false)
		_ = writeFrame(brw, true, opBinary, append([]byte{streamError}, status...), false)
		_ = writeFrame(brw, true, opClose, closePayload(1000), false)
		_ = brw.Flush()
		f, err := readFrame(bufio.NewReader(conn)) // the client answers the close, masked
		if err != nil || f.opcode != opClose {
			t.Errorf("want the client's close frame, got %v %v", f, err)
		}
	}))
}

func runExec(t *testing.T, srv *httptest.Server) (string, error) {
	addK8sRequests(newMetrics())
	cfg := &restConfig{Host: srv.URL}
	u, _ := url.Parse(srv.URL + "/api/v1/namespaces/default/pods/p/exec?command=kill&command=-15&command=1&container=wait")
	var stdout, stderr bytes.Buffer
	err := newWebSocketExecutor(cfg.forComponent("test"), http.MethodGet, u).StreamWithContext(context.Background(), &stdout, &stderr)
	return stdout.String(), err
}

func TestExecSuccess(t *testing.T) {
	srv := execServer(t, `{"metadata":{},"status":"Success"}`)
	defer srv.Close()
	out, err := runExec(t, srv)
	if err != nil || out != "hi\n" {
		t.Fatalf("got %q, %v", out, err)
	}
}

func TestExecFailureStatus(t *testing.T) {
	srv := execServer(t, `{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code"}`)
	defer srv.Close()
	_, err := runExec(t, srv)
	if err == nil || !strings.Contains(err.Error(), "non-zero exit code") {
		t.Fatalf("got %v", err)
	}
}
