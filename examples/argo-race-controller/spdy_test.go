package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// racerigFrames were written by racerig's TypeScript encoder (src/spdy): SYN_REPLY 1 (no headers),
// SYN_REPLY 3 {x-a: b}, DATA 3 "hello", DATA 1 `{"status":"Success"}` FIN, SYN_REPLY 5
// {streamtype: stdout, multi: a\0b} FIN, RST_STREAM 7 CANCEL, PING 2, GOAWAY 5 OK; the header
// blocks share one zlib stream started with the SPDY/3 dictionary.
const racerigFrames = "80030002000000130000000178bbe3c6a7c262000200000000ffff800300020000001700000003626060600425be0a5d50f2664c02000000ffff000000030000000568656c6c6f00000001010000147b22737461747573223a2253756363657373227d80030002010000290000000502e51870da2b294a4dcc85162f6cc52529f9e0c29935b734a724135c7e322401000000ffff8003000300000008000000070000000580030006000000040000000280030007000000080000000500000000"

func TestSpdyDictionaryLength(t *testing.T) {
	if len(spdyDictionary) != 1423 {
		t.Fatalf("dictionary is %d bytes, want 1423", len(spdyDictionary))
	}
}

// The reader decodes another implementation's frames, header blocks included (zlib checks the
// dictionary's Adler-32 id, so a wrong dictionary fails here).
func TestSpdyReadsRacerigFrames(t *testing.T) {
	raw, _ := hex.DecodeString(racerigFrames)
	f := newSpdyFramer(io.Discard, bytes.NewReader(raw))
	type got struct {
		kind    int
		id      uint32
		fin     bool
		headers http.Header
		data    string
		status  uint32
		ping    uint32
	}
	want := []got{
		{kind: frameSynReply, id: 1, headers: http.Header{}},
		{kind: frameSynReply, id: 3, headers: http.Header{"x-a": {"b"}}},
		{id: 3, data: "hello"},
		{id: 1, fin: true, data: `{"status":"Success"}`},
		{kind: frameSynReply, id: 5, fin: true, headers: http.Header{"streamtype": {"stdout"}, "multi": {"a", "b"}}},
		{kind: frameRstStream, id: 7, status: rstCancel},
		{kind: framePing, ping: 2},
		{kind: frameGoAway, id: 5},
	}
	for i, w := range want {
		fr, err := f.readFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		g := got{kind: fr.kind, id: fr.streamID, fin: fr.fin(), headers: fr.headers, data: string(fr.data), status: fr.status, ping: fr.pingID}
		if g.headers == nil && w.headers == nil {
			g.headers = nil
		}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("frame %d: got %+v, want %+v", i, g, w)
		}
	}
	if _, err := f.readFrame(); err != io.EOF {
		t.Fatalf("after the last frame: %v, want EOF", err)
	}
}

// Header blocks written one after another through one compression context read back in order.
func TestSpdySynStreamRoundTrip(t *testing.T) {
	var wire bytes.Buffer
	w := newSpdyFramer(&wire, nil)
	sent := []http.Header{
		{"streamType": {"error"}},
		{"streamType": {"stdout"}},
		{"streamType": {"stderr"}, "X-Many": {"1", "2", strings.Repeat("v", 5000)}},
	}
	for i, h := range sent {
		if err := w.writeSynStream(uint32(2*i+1), h, i == 2); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.writeData(3, []byte("stdin"), true); err != nil {
		t.Fatal(err)
	}
	r := newSpdyFramer(nil, &wire)
	for i, h := range sent {
		fr, err := r.readFrame()
		if err != nil {
			t.Fatal(err)
		}
		if fr.kind != frameSynStream || fr.streamID != uint32(2*i+1) || fr.fin() != (i == 2) {
			t.Fatalf("frame %d: kind %d id %d fin %v", i, fr.kind, fr.streamID, fr.fin())
		}
		for name, values := range h {
			if got := fr.headers[strings.ToLower(name)]; !reflect.DeepEqual(got, values) {
				t.Fatalf("frame %d header %s: got %q, want %q (names travel lowercase)", i, name, got, values)
			}
		}
	}
	fr, err := r.readFrame()
	if err != nil || fr.control || fr.streamID != 3 || string(fr.data) != "stdin" || !fr.fin() {
		t.Fatalf("data frame: %+v %v", fr, err)
	}
}

// spdyExecServer answers one exec upgrade the way the kubelet does: 101 with the chosen stream
// protocol, a SYN_REPLY per stream, then the command's output and its Status on the error stream.
func spdyExecServer(t *testing.T, seen chan<- *http.Request, stdout, status string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r
		conn, rw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprintf(rw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n")
		_ = rw.Flush()
		f := newSpdyFramer(conn, rw.Reader)
		ids := map[string]uint32{}
		for len(ids) < 3 {
			fr, err := f.readFrame()
			if err != nil {
				t.Errorf("server: %v", err)
				return
			}
			if fr.kind == frameSynStream {
				ids[fr.headers["streamtype"][0]] = fr.streamID
				_ = f.writeSynReply(fr.streamID, http.Header{}, false)
			}
		}
		_ = f.writeData(ids["stdout"], []byte(stdout), true)
		_ = f.writeData(ids["stderr"], nil, true)
		_ = f.writeData(ids["error"], []byte(status), true)
		_ = f.writeGoAway(ids["stderr"], 0)
		_, _ = io.Copy(io.Discard, bufio.NewReader(conn)) // until the client closes
	}))
}

func TestSpdyExecutor(t *testing.T) {
	cases := []struct {
		status, wantErr string
	}{
		{`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success"}`, ""},
		{`{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 1","reason":"NonZeroExitCode"}`, "command terminated with non-zero exit code"},
	}
	for _, c := range cases {
		seen := make(chan *http.Request, 1)
		srv := spdyExecServer(t, seen, "killed\n", c.status)
		u, _ := url.Parse(srv.URL + "/api/v1/namespaces/ns/pods/p/exec?container=wait&command=kill&command=-15&command=1")
		x := newSPDYExecutor(&restConfig{Host: srv.URL, UserAgent: "t"}, http.MethodPost, u)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var out, errOut bytes.Buffer
		err := x.StreamWithContext(ctx, &out, &errOut)
		cancel()
		srv.Close()
		if c.wantErr == "" && err != nil || c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)) {
			t.Fatalf("StreamWithContext: %v, want %q", err, c.wantErr)
		}
		if out.String() != "killed\n" {
			t.Fatalf("stdout %q", out.String())
		}
		r := <-seen
		if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "SPDY/3.1" || !strings.EqualFold(r.Header.Get("Connection"), "upgrade") {
			t.Fatalf("upgrade request: %s %v", r.Method, r.Header)
		}
		if got := r.Header.Values("X-Stream-Protocol-Version"); !reflect.DeepEqual(got, spdyStreamProtocols) {
			t.Fatalf("X-Stream-Protocol-Version %q, want %q", got, spdyStreamProtocols)
		}
	}
}

// A refused upgrade (not 101) surfaces the server's Status message, and no connection is used.
func TestSpdyUpgradeRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"kind":"Status","status":"Failure","message":"container not found (\"wait\")","reason":"BadRequest","code":400}`)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL + "/api/v1/namespaces/ns/pods/p/exec")
	err := newSPDYExecutor(&restConfig{Host: srv.URL}, http.MethodPost, u).StreamWithContext(context.Background(), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `container not found ("wait")`) {
		t.Fatalf("got %v", err)
	}
}
