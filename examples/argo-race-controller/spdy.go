package main

// The SPDY/3.1 upgrade transport pod exec uses, modelled on client-go v0.30.3 (Argo v3.6.0-rc1's):
//
//   - spdyRoundTripper is k8s.io/apimachinery/pkg/util/httpstream/spdy/roundtripper.go's
//     SpdyRoundTripper: RoundTrip clones the request, adds `Connection: Upgrade` and
//     `Upgrade: SPDY/3.1`, dials a NEW connection, writes the request, reads the response with
//     http.ReadResponse(reader, nil) and KEEPS THE CONNECTION IN A FIELD (s.conn); NewConnection(resp)
//     checks the 101 and starts a SPDY client connection on s.conn (NewClientConnectionWithPings).
//     Nothing stops another client's request from going through it (the rc1 bug): RoundTrip then
//     overwrites s.conn from that goroutine, and the connection it replaced is never used nor closed.
//   - spdyConnection is util/httpstream/spdy/connection.go over moby/spdystream: a goroutine reads
//     frames (Serve), CreateStream sends SYN_STREAM and waits for the SYN_REPLY, pings every 5 s.
//     As in spdystream, the reader reads the connection it was given: a nil one panics in that
//     goroutine, which ends the process (the rc1 panic).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

const (
	spdyUpgrade = "SPDY/3.1"
	// createStreamResponseTimeout is client-go's wait for a SYN_REPLY (util/httpstream/spdy/connection.go).
	createStreamResponseTimeout = 30 * time.Second
	// spdyPingPeriod is what spdy.RoundTripperFor configures (client-go transport/spdy/spdy.go).
	spdyPingPeriod = 5 * time.Second
)

// spdyRoundTripper is an upgrading http.RoundTripper for one exec (see above); like SpdyRoundTripper
// it is meant for exactly one request and is not safe for concurrent use.
type spdyRoundTripper struct {
	conn       net.Conn // set by RoundTrip, used by NewConnection
	pingPeriod time.Duration
}

func newSpdyRoundTripper() *spdyRoundTripper {
	return &spdyRoundTripper{pingPeriod: spdyPingPeriod}
}

// RoundTrip sends req with SPDY upgrade headers on a new connection and keeps the connection.
func (s *spdyRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Add("Connection", "Upgrade")
	req.Header.Add("Upgrade", spdyUpgrade)

	conn, err := s.Dial(req)
	if err != nil {
		return nil, err
	}

	responseReader := bufio.NewReader(conn)

	resp, err := http.ReadResponse(responseReader, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}

	s.conn = conn

	return resp, nil
}

// Dial opens a connection to the request's host and writes the request on it (plain HTTP only).
func (s *spdyRoundTripper) Dial(req *http.Request) (net.Conn, error) {
	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(req.Context(), "tcp", req.URL.Host)
	if err != nil {
		return nil, err
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// NewConnection validates the upgrade response and starts a SPDY client connection on the kept connection.
func (s *spdyRoundTripper) NewConnection(resp *http.Response) (*spdyConnection, error) {
	connectionHeader := strings.ToLower(resp.Header.Get("Connection"))
	upgradeHeader := strings.ToLower(resp.Header.Get("Upgrade"))
	if resp.StatusCode != http.StatusSwitchingProtocols || !strings.Contains(connectionHeader, "upgrade") || !strings.Contains(upgradeHeader, strings.ToLower(spdyUpgrade)) {
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		if err != nil {
			return nil, errors.New("unable to upgrade connection: unable to read error from server response")
		}
		return nil, fmt.Errorf("unable to upgrade connection: %v", decodeStatus(resp.StatusCode, body))
	}
	return newSpdyClientConnection(s.conn, s.pingPeriod), nil
}

// spdyConnection is the client side of one SPDY connection: one reader goroutine, writes serialized.
type spdyConnection struct {
	conn   net.Conn
	framer *spdyFramer

	mu       sync.Mutex
	streams  map[uint32]*spdyStream
	nextID   uint32 // client streams: odd ids
	closed   chan struct{}
	closeErr error
	once     sync.Once
}

// newSpdyClientConnection starts reading conn (client-go NewClientConnectionWithPings).
func newSpdyClientConnection(conn net.Conn, pingPeriod time.Duration) *spdyConnection {
	c := &spdyConnection{conn: conn, framer: newSpdyFramer(conn, conn), streams: map[uint32]*spdyStream{}, nextID: 1, closed: make(chan struct{})}
	go c.serve()
	if pingPeriod > 0 {
		go c.sendPings(pingPeriod)
	}
	return c
}

// serve reads frames until the connection ends (spdystream's Connection.Serve).
func (c *spdyConnection) serve() {
	for {
		f, err := c.framer.readFrame()
		if err != nil {
			c.shutdown(err)
			return
		}
		c.handle(f)
	}
}

func (c *spdyConnection) stream(id uint32) *spdyStream {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.streams[id]
}

func (c *spdyConnection) handle(f *spdyFrame) {
	if !f.control {
		if s := c.stream(f.streamID); s != nil {
			s.push(f.data, f.fin())
		} else {
			_ = c.framer.writeRstStream(f.streamID, rstProtocolError)
		}
		return
	}
	switch f.kind {
	case frameSynReply:
		if s := c.stream(f.streamID); s != nil {
			s.replied(f.headers)
			if f.fin() {
				s.push(nil, true)
			}
		}
	case frameHeaders:
		if s := c.stream(f.streamID); s != nil && f.fin() {
			s.push(nil, true)
		}
	case frameRstStream:
		if s := c.stream(f.streamID); s != nil {
			s.reset(fmt.Errorf("stream %d reset by the server (status %d)", f.streamID, f.status))
		}
	case framePing:
		if f.pingID%2 == 0 { // the server's ping (ours are odd): echo it
			_ = c.framer.writePing(f.pingID)
		}
	case frameGoAway:
		// No new streams; the server closes the connection once its streams are done.
	case frameSynStream:
		_ = c.framer.writeRstStream(f.streamID, rstProtocolError) // the exec protocol has no server-initiated streams
	}
}

func (c *spdyConnection) sendPings(period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for id := uint32(1); ; id += 2 {
		select {
		case <-c.closed:
			return
		case <-t.C:
			if c.framer.writePing(id) != nil {
				return
			}
		}
	}
}

// shutdown ends every stream with err (io.EOF: the connection ended) and closes the connection once.
func (c *spdyConnection) shutdown(err error) {
	c.once.Do(func() {
		c.mu.Lock()
		c.closeErr = err
		streams := c.streams
		c.streams = map[uint32]*spdyStream{}
		c.mu.Unlock()
		for _, s := range streams {
			s.reset(fmt.Errorf("connection closed: %w", err))
		}
		close(c.closed)
		_ = c.conn.Close()
	})
}

// CreateStream opens a stream with headers and waits for the server's SYN_REPLY (client-go connection.CreateStream).
func (c *spdyConnection) CreateStream(ctx context.Context, headers http.Header) (*spdyStream, error) {
	c.mu.Lock()
	if c.closeErr != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("connection closed: %w", c.closeErr)
	}
	s := newSpdyStream(c, c.nextID)
	c.nextID += 2
	c.streams[s.id] = s
	c.mu.Unlock()
	if err := c.framer.writeSynStream(s.id, headers, false); err != nil {
		return nil, err
	}
	timer := time.NewTimer(createStreamResponseTimeout)
	defer timer.Stop()
	select {
	case <-s.reply:
		return s, nil
	case <-s.done:
		select {
		case <-s.reply: // replied, and already finished by the server: a stream all the same
			return s, nil
		default:
		}
		return nil, s.err()
	case <-timer.C:
		return nil, errors.New("timed out waiting for a stream reply")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close resets no stream, says GOAWAY and closes the connection (client-go connection.Close, reduced).
func (c *spdyConnection) Close() error {
	c.mu.Lock()
	var last uint32
	if c.nextID > 1 {
		last = c.nextID - 2
	}
	c.mu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_ = c.framer.writeGoAway(last, 0)
	c.shutdown(io.EOF)
	return nil
}

// spdyStream is one stream's inbound data, buffered until read.
type spdyStream struct {
	conn  *spdyConnection
	id    uint32
	reply chan struct{} // closed on SYN_REPLY
	done  chan struct{} // closed when no more data will come (FIN, RST, connection end)

	mu      sync.Mutex
	cond    *sync.Cond
	buf     []byte
	eof     bool
	failure error
	once    sync.Once
	ronce   sync.Once
}

func newSpdyStream(c *spdyConnection, id uint32) *spdyStream {
	s := &spdyStream{conn: c, id: id, reply: make(chan struct{}), done: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	return s
}

func (s *spdyStream) replied(http.Header) { s.ronce.Do(func() { close(s.reply) }) }

func (s *spdyStream) push(data []byte, fin bool) {
	s.mu.Lock()
	s.buf = append(s.buf, data...)
	if fin {
		s.eof = true
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	if fin {
		s.once.Do(func() { close(s.done) })
	}
}

func (s *spdyStream) reset(err error) {
	s.mu.Lock()
	if !s.eof {
		s.eof = true
		s.failure = err
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	s.once.Do(func() { close(s.done) })
}

func (s *spdyStream) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failure != nil {
		return s.failure
	}
	return io.EOF
}

// Read returns the stream's data; io.EOF after the server's FIN.
func (s *spdyStream) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.buf) == 0 && !s.eof {
		s.cond.Wait()
	}
	if len(s.buf) > 0 {
		n := copy(p, s.buf)
		s.buf = s.buf[n:]
		return n, nil
	}
	if s.failure != nil {
		return 0, s.failure
	}
	return 0, io.EOF
}
