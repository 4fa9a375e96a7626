package main

// The upgrade transport pod exec uses, and minimal WebSocket client framing
// (RFC 6455) for the v4.channel.k8s.io exec protocol.
//
// wsRoundTripper is modelled on client-go's SpdyRoundTripper
// (k8s.io/apimachinery/pkg/util/httpstream/spdy/roundtripper.go): RoundTrip
// dials a connection, writes the request with upgrade headers, reads the
// response and KEEPS THE CONNECTION IN A FIELD; the executor then calls
// NewConnection(resp), which uses that field. One upgrader serves one exec.
// If another client's request is sent through this upgrader (the rc1 bug),
// RoundTrip overwrites conn from that client's goroutine; and if this exec's
// own request went through a different transport, conn is still nil when
// NewConnection uses it.

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

const (
	wsGUID          = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
	opContinuation  = 0x0
	opText          = 0x1
	opBinary        = 0x2
	opClose         = 0x8
	opPing          = 0x9
	opPong          = 0xA
	maxFramePayload = 1 << 20
)

// wsRoundTripper is an upgrading http.RoundTripper for one exec (see above). Not safe for
// concurrent use, like SpdyRoundTripper: it is meant for exactly one request.
type wsRoundTripper struct {
	protocols []string
	conn      net.Conn // set by RoundTrip, used by NewConnection
}

func newWebSocketRoundTripper(protocols ...string) *wsRoundTripper {
	return &wsRoundTripper{protocols: protocols}
}

// RoundTrip sends req with WebSocket upgrade headers on a new connection and keeps the connection.
func (s *wsRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", newWebSocketKey())
	if len(s.protocols) > 0 {
		req.Header.Set("Sec-WebSocket-Protocol", strings.Join(s.protocols, ", "))
	}

	conn, err := (&net.Dialer{Timeout: 10 * time.Second}).DialContext(req.Context(), "tcp", req.URL.Host)
	if err != nil {
		return nil, err
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, err
	}
	responseReader := bufio.NewReader(conn)
	resp, err := http.ReadResponse(responseReader, req)
	if err != nil {
		conn.Close()
		return nil, err
	}

	s.conn = &bufferedConn{Conn: conn, r: responseReader}

	return resp, nil
}

// NewConnection validates the upgrade response and returns the WebSocket on the kept connection.
func (s *wsRoundTripper) NewConnection(resp *http.Response) (*wsConn, error) {
	if resp.StatusCode != http.StatusSwitchingProtocols || !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return nil, fmt.Errorf("unable to upgrade connection: %v", decodeStatus(resp.StatusCode, body))
	}
	if resp.Request != nil && resp.Header.Get("Sec-WebSocket-Accept") != webSocketAccept(resp.Request.Header.Get("Sec-WebSocket-Key")) {
		return nil, errors.New("unable to upgrade connection: bad Sec-WebSocket-Accept")
	}
	return newWSConn(s.conn, resp.Header.Get("Sec-WebSocket-Protocol")), nil
}

// bufferedConn reads through the reader that parsed the upgrade response, so no early frame is lost.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b *bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

func newWebSocketKey() string {
	var k [16]byte
	if _, err := rand.Read(k[:]); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(k[:])
}

func webSocketAccept(key string) string {
	h := sha1.Sum([]byte(key + wsGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// wsConn is the client side of a WebSocket connection; one reader and one writer goroutine at most.
type wsConn struct {
	conn     net.Conn
	protocol string
}

func newWSConn(conn net.Conn, protocol string) *wsConn {
	conn.SetDeadline(time.Time{}) // clear any deadline; nil conn: the rc1 nil-pointer panic
	return &wsConn{conn: conn, protocol: protocol}
}

// ReadMessage returns the next data message (fragments joined); it answers pings and
// returns io.EOF on a close frame.
func (c *wsConn) ReadMessage() (opcode byte, payload []byte, err error) {
	var msg []byte
	var msgOp byte
	for {
		f, err := readFrame(c.conn)
		if err != nil {
			return 0, nil, err
		}
		switch f.opcode {
		case opPing:
			if err := writeFrame(c.conn, true, opPong, f.payload, true); err != nil {
				return 0, nil, err
			}
			continue
		case opPong:
			continue
		case opClose:
			_ = writeFrame(c.conn, true, opClose, closePayload(1000), true)
			return 0, nil, io.EOF
		case opContinuation:
			if msgOp == 0 {
				return 0, nil, errors.New("websocket: continuation frame without a message")
			}
		default:
			msgOp = f.opcode
		}
		if len(msg)+len(f.payload) > maxFramePayload {
			return 0, nil, errors.New("websocket: message too large")
		}
		msg = append(msg, f.payload...)
		if f.fin {
			return msgOp, msg, nil
		}
	}
}

// WriteMessage sends one masked binary frame.
func (c *wsConn) WriteMessage(payload []byte) error {
	return writeFrame(c.conn, true, opBinary, payload, true)
}

// Close sends a normal close frame and closes the connection.
func (c *wsConn) Close() error {
	_ = c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_ = writeFrame(c.conn, true, opClose, closePayload(1000), true)
	return c.conn.Close()
}

func closePayload(code uint16) []byte {
	b := make([]byte, 2)
	binary.BigEndian.PutUint16(b, code)
	return b
}

type frame struct {
	fin     bool
	opcode  byte
	payload []byte
}

// writeFrame writes one frame; client frames must be masked (RFC 6455 5.3), server frames must not.
func writeFrame(w io.Writer, fin bool, opcode byte, payload []byte, masked bool) error {
	hdr := make([]byte, 2, 14)
	if fin {
		hdr[0] = 0x80
	}
	hdr[0] |= opcode & 0x0f
	n := len(payload)
	switch {
	case n < 126:
		hdr[1] = byte(n)
	case n <= 0xffff:
		hdr[1] = 126
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr[1] = 127
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	body := payload
	if masked {
		hdr[1] |= 0x80
		var key [4]byte
		if _, err := rand.Read(key[:]); err != nil {
			return err
		}
		hdr = append(hdr, key[:]...)
		body = make([]byte, n)
		for i := range payload {
			body[i] = payload[i] ^ key[i%4]
		}
	}
	_, err := w.Write(append(hdr, body...))
	return err
}

// readFrame reads one frame, unmasking it if masked.
func readFrame(r io.Reader) (frame, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frame{}, err
	}
	f := frame{fin: hdr[0]&0x80 != 0, opcode: hdr[0] & 0x0f}
	if hdr[0]&0x70 != 0 {
		return frame{}, errors.New("websocket: reserved bits set")
	}
	n := uint64(hdr[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return frame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return frame{}, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > maxFramePayload {
		return frame{}, errors.New("websocket: frame too large")
	}
	var key [4]byte
	masked := hdr[1]&0x80 != 0
	if masked {
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return frame{}, err
		}
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return frame{}, err
	}
	if masked {
		for i := range f.payload {
			f.payload[i] ^= key[i%4]
		}
	}
	return f, nil
}
