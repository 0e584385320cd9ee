// A minimal WebSocket client (RFC 6455) for the generator's chorus and raw subscribers: its own handshake, so
// the frames after it are read straight from one bufio.Reader, and a frame reader that can skip a payload
// without copying it. A subscriber that only counts deliveries costs a header parse and a Discard per frame:
// no allocation, no JSON, so the generator's core is not what a ceiling measures.
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

const (
	opText     = 0x1
	opClose    = 0x8
	opPing     = 0x9
	opPong     = 0xA
	opContinue = 0x0
)

type wireConn struct {
	c   net.Conn
	r   *bufio.Reader
	buf []byte // reused payload buffer for frames that are read, not skipped
}

// dialWire opens ws://host/path with an upgrade request offering `protocol` (empty: none).
func dialWire(rawURL, protocol string) (*wireConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	c, err := net.DialTimeout("tcp", u.Host, 30*time.Second)
	if err != nil {
		return nil, err
	}
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", u.RequestURI(), u.Host, base64.StdEncoding.EncodeToString(key))
	if protocol != "" {
		req += "Sec-WebSocket-Protocol: " + protocol + "\r\n"
	}
	if _, err := c.Write([]byte(req + "\r\n")); err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReaderSize(c, 64<<10)
	status, err := r.ReadString('\n')
	if err != nil {
		c.Close()
		return nil, err
	}
	if !strings.HasPrefix(status, "HTTP/1.1 101") {
		c.Close()
		return nil, fmt.Errorf("upgrade refused: %s", strings.TrimSpace(status))
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			c.Close()
			return nil, err
		}
		if line == "\r\n" {
			break
		}
	}
	_ = c.SetReadDeadline(time.Time{})
	return &wireConn{c: c, r: r, buf: make([]byte, 0, 4096)}, nil
}

// writeText sends one masked text frame (clients must mask).
func (w *wireConn) writeText(payload []byte) error { return w.write(0x80|opText, payload) }

func (w *wireConn) write(opFin byte, payload []byte) error {
	n := len(payload)
	frame := make([]byte, 0, n+14)
	frame = append(frame, opFin)
	switch {
	case n < 126:
		frame = append(frame, 0x80|byte(n))
	case n < 1<<16:
		frame = append(frame, 0x80|126, byte(n>>8), byte(n))
	default:
		frame = append(frame, 0x80|127)
		frame = binary.BigEndian.AppendUint64(frame, uint64(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	frame = append(frame, mask[:]...)
	for i, b := range payload {
		frame = append(frame, b^mask[i&3])
	}
	_, err := w.c.Write(frame)
	return err
}

// header reads one frame header: whether it ends a message, its opcode and payload length.
func (w *wireConn) header() (fin bool, op byte, n int, err error) {
	b0, err := w.r.ReadByte()
	if err != nil {
		return
	}
	b1, err := w.r.ReadByte()
	if err != nil {
		return
	}
	if b1&0x80 != 0 {
		return false, 0, 0, errors.New("masked frame from the server")
	}
	fin, op, n = b0&0x80 != 0, b0&0x0F, int(b1&0x7F)
	switch n {
	case 126:
		var ext [2]byte
		if _, err = readFull(w.r, ext[:]); err == nil {
			n = int(binary.BigEndian.Uint16(ext[:]))
		}
	case 127:
		var ext [8]byte
		if _, err = readFull(w.r, ext[:]); err == nil {
			n = int(binary.BigEndian.Uint64(ext[:]))
		}
	}
	return
}

func readFull(r *bufio.Reader, p []byte) (int, error) {
	got := 0
	for got < len(p) {
		k, err := r.Read(p[got:])
		got += k
		if err != nil {
			return got, err
		}
	}
	return got, nil
}

// next returns the next data frame: its opcode, and its payload when `keep` (else the payload is skipped and
// nil returned). Pings are answered and control frames consumed here; a close ends the connection.
func (w *wireConn) next(keep bool) (fin bool, op byte, payload []byte, err error) {
	for {
		fin, op, n, err := w.header()
		if err != nil {
			return false, 0, nil, err
		}
		switch op {
		case opPing:
			p := make([]byte, n)
			if _, err := readFull(w.r, p); err != nil {
				return false, 0, nil, err
			}
			if err := w.write(0x80|opPong, p); err != nil {
				return false, 0, nil, err
			}
			continue
		case opPong:
			if _, err := w.r.Discard(n); err != nil {
				return false, 0, nil, err
			}
			continue
		case opClose:
			return false, op, nil, errors.New("closed by the server")
		}
		if !keep {
			_, err := w.r.Discard(n)
			return fin, op, nil, err
		}
		if cap(w.buf) < n {
			w.buf = make([]byte, n)
		}
		w.buf = w.buf[:n]
		_, err = readFull(w.r, w.buf)
		return fin, op, w.buf, err
	}
}
