package main

// SPDY/3.1 framing for the exec stream protocol, as moby/spdystream (client-go's SPDY library,
// which carries a copy of the old golang.org/x/net/spdy framer) speaks it: the 8-byte frame
// header, the control frames a client of pods/exec sends and receives, DATA frames, and header
// blocks (32-bit counts and lengths) compressed with zlib and SPDY/3's preset dictionary, one
// compression context per direction for the whole connection, each block ended by a sync flush.
// Constants follow racerig's src/spdy/framing.ts and header-compression.ts.

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

const (
	spdyVersion = 3

	frameSynStream    = 1
	frameSynReply     = 2
	frameRstStream    = 3
	frameSettings     = 4
	framePing         = 6
	frameGoAway       = 7
	frameHeaders      = 8
	frameWindowUpdate = 9

	flagFin = 0x01

	rstProtocolError = 1
	rstCancel        = 5

	// maxSpdyFrame bounds one frame's payload, in bytes (the 24-bit length allows 16 MiB).
	maxSpdyFrame = 1 << 20
	// maxHeaderBlock bounds one decompressed header block, in bytes.
	maxHeaderBlock = 256 << 10
)

// spdyDictionary is SPDY/3's preset zlib dictionary (draft-mbelshe-httpbis-spdy-00 2.6.10.1): the
// header words, each after its 32-bit length, then common values.
var spdyDictionary = func() []byte {
	words := []string{
		"options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding", "accept-language",
		"accept-ranges", "age", "allow", "authorization", "cache-control", "connection", "content-base", "content-encoding",
		"content-language", "content-length", "content-location", "content-md5", "content-range", "content-type", "date", "etag",
		"expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
		"last-modified", "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
		"retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
		"www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive",
		"origin",
	}
	tail := "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505" +
		"203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized" +
		"403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable" +
		"Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT" +
		"chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain," +
		"text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
	var b []byte
	for _, w := range words {
		b = binary.BigEndian.AppendUint32(b, uint32(len(w)))
		b = append(b, w...)
	}
	return append(b, tail...)
}()

// spdyFrame is one decoded frame; only the fields of its kind are set.
type spdyFrame struct {
	control  bool
	kind     int // control frame type; 0 for DATA
	flags    byte
	streamID uint32
	headers  http.Header // SYN_STREAM, SYN_REPLY, HEADERS (names as sent: lowercase)
	data     []byte      // DATA
	status   uint32      // RST_STREAM, GOAWAY
	pingID   uint32      // PING
}

func (f *spdyFrame) fin() bool { return f.flags&flagFin != 0 }

// spdyFramer writes and reads frames on one connection. Writes are serialized by a mutex; reads
// must come from one goroutine.
type spdyFramer struct {
	w  io.Writer
	r  io.Reader
	mu sync.Mutex // guards w and the compressor

	compressed bytes.Buffer
	compressor *zlib.Writer

	headerInput  bytes.Buffer  // compressed header bytes not yet read by the decompressor
	decompressor io.ReadCloser // created at the first header block (zlib reads its header then)
}

func newSpdyFramer(w io.Writer, r io.Reader) *spdyFramer {
	return &spdyFramer{w: w, r: r}
}

// compressHeaders returns the compressed name/value block of h (names lowercased, values of one name joined by NUL).
func (f *spdyFramer) compressHeaders(h http.Header) ([]byte, error) {
	if f.compressor == nil {
		zw, err := zlib.NewWriterLevelDict(&f.compressed, zlib.BestCompression, spdyDictionary)
		if err != nil {
			return nil, err
		}
		f.compressor = zw
	}
	f.compressed.Reset()
	if _, err := f.compressor.Write(encodeHeaderBlock(h)); err != nil {
		return nil, err
	}
	if err := f.compressor.Flush(); err != nil { // sync flush: the block ends on a byte boundary
		return nil, err
	}
	return append([]byte(nil), f.compressed.Bytes()...), nil
}

// encodeHeaderBlock serializes h uncompressed; names are lowercased and sorted-free (map order does not matter to SPDY).
func encodeHeaderBlock(h http.Header) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(h)))
	for name, values := range h {
		v := strings.Join(values, "\x00")
		b = binary.BigEndian.AppendUint32(b, uint32(len(name)))
		b = append(b, strings.ToLower(name)...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	return b
}

func (f *spdyFramer) writeControl(kind int, flags byte, payload []byte) error {
	hdr := make([]byte, 8, 8+len(payload))
	binary.BigEndian.PutUint16(hdr[0:], 0x8000|spdyVersion)
	binary.BigEndian.PutUint16(hdr[2:], uint16(kind))
	binary.BigEndian.PutUint32(hdr[4:], uint32(flags)<<24|uint32(len(payload)))
	_, err := f.w.Write(append(hdr, payload...))
	return err
}

// writeSynStream opens stream id with headers (priority 0, no associated stream).
func (f *spdyFramer) writeSynStream(id uint32, h http.Header, fin bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	block, err := f.compressHeaders(h)
	if err != nil {
		return err
	}
	p := binary.BigEndian.AppendUint32(nil, id&0x7fffffff)
	p = binary.BigEndian.AppendUint32(p, 0)
	p = append(p, 0, 0) // priority, slot
	var flags byte
	if fin {
		flags = flagFin
	}
	return f.writeControl(frameSynStream, flags, append(p, block...))
}

// writeSynReply answers stream id (the server's side; used by tests).
func (f *spdyFramer) writeSynReply(id uint32, h http.Header, fin bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	block, err := f.compressHeaders(h)
	if err != nil {
		return err
	}
	var flags byte
	if fin {
		flags = flagFin
	}
	return f.writeControl(frameSynReply, flags, append(binary.BigEndian.AppendUint32(nil, id&0x7fffffff), block...))
}

func (f *spdyFramer) writeRstStream(id, status uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := binary.BigEndian.AppendUint32(nil, id&0x7fffffff)
	return f.writeControl(frameRstStream, 0, binary.BigEndian.AppendUint32(p, status))
}

func (f *spdyFramer) writePing(id uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writeControl(framePing, 0, binary.BigEndian.AppendUint32(nil, id))
}

func (f *spdyFramer) writeGoAway(lastGood, status uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := binary.BigEndian.AppendUint32(nil, lastGood&0x7fffffff)
	return f.writeControl(frameGoAway, 0, binary.BigEndian.AppendUint32(p, status))
}

// writeData sends data on stream id; fin ends our half of the stream.
func (f *spdyFramer) writeData(id uint32, data []byte, fin bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	hdr := make([]byte, 8, 8+len(data))
	binary.BigEndian.PutUint32(hdr[0:], id&0x7fffffff)
	var flags uint32
	if fin {
		flags = flagFin
	}
	binary.BigEndian.PutUint32(hdr[4:], flags<<24|uint32(len(data)))
	_, err := f.w.Write(append(hdr, data...))
	return err
}

// readFrame reads the next frame; an error other than io.EOF means the connection is out of step.
func (f *spdyFramer) readFrame() (*spdyFrame, error) {
	var hdr [8]byte
	if _, err := io.ReadFull(f.r, hdr[:]); err != nil {
		return nil, err
	}
	flags := hdr[4]
	length := binary.BigEndian.Uint32(hdr[4:]) & 0xffffff
	if length > maxSpdyFrame {
		return nil, fmt.Errorf("spdy: frame of %d bytes", length)
	}
	payload := make([]byte, length)
	if _, err := io.ReadFull(f.r, payload); err != nil {
		return nil, err
	}
	if hdr[0]&0x80 == 0 {
		return &spdyFrame{flags: flags, streamID: binary.BigEndian.Uint32(hdr[0:]) & 0x7fffffff, data: payload}, nil
	}
	if v := binary.BigEndian.Uint16(hdr[0:]) & 0x7fff; v != spdyVersion {
		return nil, fmt.Errorf("spdy: unsupported version %d", v)
	}
	fr := &spdyFrame{control: true, kind: int(binary.BigEndian.Uint16(hdr[2:])), flags: flags}
	need := func(n int) error {
		if len(payload) < n {
			return fmt.Errorf("spdy: control frame %d of %d bytes, want at least %d", fr.kind, len(payload), n)
		}
		return nil
	}
	var err error
	switch fr.kind {
	case frameSynStream:
		if err = need(10); err == nil {
			fr.streamID = binary.BigEndian.Uint32(payload) & 0x7fffffff
			fr.headers, err = f.decompressHeaders(payload[10:])
		}
	case frameSynReply, frameHeaders:
		if err = need(4); err == nil {
			fr.streamID = binary.BigEndian.Uint32(payload) & 0x7fffffff
			fr.headers, err = f.decompressHeaders(payload[4:])
		}
	case frameRstStream, frameGoAway:
		if err = need(8); err == nil {
			fr.streamID = binary.BigEndian.Uint32(payload) & 0x7fffffff
			fr.status = binary.BigEndian.Uint32(payload[4:])
		}
	case framePing:
		if err = need(4); err == nil {
			fr.pingID = binary.BigEndian.Uint32(payload)
		}
	case frameWindowUpdate:
		if err = need(8); err == nil {
			fr.streamID = binary.BigEndian.Uint32(payload) & 0x7fffffff
		}
	}
	return fr, err
}

// decompressHeaders reads one header block through the connection's single zlib stream.
func (f *spdyFramer) decompressHeaders(compressed []byte) (http.Header, error) {
	f.headerInput.Write(compressed)
	if f.decompressor == nil {
		zr, err := zlib.NewReaderDict(&f.headerInput, spdyDictionary)
		if err != nil {
			return nil, fmt.Errorf("spdy: header block: %w", err)
		}
		f.decompressor = zr
	}
	r := &io.LimitedReader{R: f.decompressor, N: maxHeaderBlock}
	readU32 := func() (uint32, error) {
		var b [4]byte
		_, err := io.ReadFull(r, b[:])
		return binary.BigEndian.Uint32(b[:]), err
	}
	readString := func() (string, error) {
		n, err := readU32()
		if err != nil {
			return "", err
		}
		if int64(n) > r.N {
			return "", errors.New("spdy: header string longer than the block")
		}
		b := make([]byte, n)
		_, err = io.ReadFull(r, b)
		return string(b), err
	}
	count, err := readU32()
	if err != nil {
		return nil, fmt.Errorf("spdy: header block: %w", err)
	}
	if count > maxHeaderBlock/8 {
		return nil, fmt.Errorf("spdy: header block claims %d headers", count)
	}
	h := http.Header{}
	for i := uint32(0); i < count; i++ {
		name, err := readString()
		if err != nil {
			return nil, fmt.Errorf("spdy: header block: %w", err)
		}
		value, err := readString()
		if err != nil {
			return nil, fmt.Errorf("spdy: header block: %w", err)
		}
		if name == "" || name != strings.ToLower(name) {
			return nil, fmt.Errorf("spdy: bad header name %q", name)
		}
		h[name] = strings.Split(value, "\x00")
	}
	return h, nil
}
