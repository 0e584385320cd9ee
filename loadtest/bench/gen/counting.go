// --counter epoll: the counting subscribers (all but every 20th) are read by one loop over epoll instead of a
// goroutine each. Every `coalesce` the loop reads each socket with data once and counts the frames in it by
// their headers, never touching a payload; the socket's Go descriptor is closed, so the runtime's netpoller
// never wakes for them. It uses 10-15 points less of the generator's core than the default; the bench keeps
// the default because here the servers' p99 came out higher (their sockets queue between rounds). It exists
// to show where a ceiling comes from: when the generator's cost falls and the ceiling does not rise, the
// ceiling is the servers' (docs/benchmarks.md).
package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
)

// counted is one counting subscriber: its socket and where its frame parse stands between reads.
type counted struct {
	fd   int
	file *os.File // owns fd: kept so no finalizer closes it
	// skip: payload bytes of the current frame still to come; pending: the start of a header (or a whole
	// control frame) that a read split, kept until the next read completes it.
	skip    int
	pending []byte
}

type countingLoop struct {
	epfd     int
	conns    map[int]*counted
	buf      []byte
	coalesce time.Duration
}

func newCountingLoop(coalesce time.Duration) (*countingLoop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &countingLoop{epfd: epfd, conns: map[int]*counted{}, buf: make([]byte, 256<<10), coalesce: coalesce}, nil
}

// add takes a set-up connection over: its socket moves to the loop, with what its reader had buffered.
func (l *countingLoop) add(w *wireConn) error {
	leftover, _ := w.r.Peek(w.r.Buffered())
	file, err := w.c.(interface{ File() (*os.File, error) }).File() // a duplicate descriptor of the socket
	if err != nil {
		return err
	}
	// Go's own descriptor is closed so the runtime's netpoller never wakes for this socket; it lives on in the
	// duplicate, which only this loop reads.
	_ = w.c.Close()
	fd := int(file.Fd())
	if err := syscall.SetNonblock(fd, true); err != nil {
		return err
	}
	c := &counted{fd: fd, file: file}
	l.conns[fd] = c
	l.count(c, append([]byte(nil), leftover...))
	return syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)})
}

// run reads the sockets for ever: every `coalesce`, each socket with data is read once. The loop sleeps
// between rounds (never blocks in epoll), so the sampled subscribers' goroutines get the core meanwhile.
func (l *countingLoop) run() {
	events := make([]syscall.EpollEvent, len(l.conns)+1)
	for {
		time.Sleep(l.coalesce)
		n, err := syscall.EpollWait(l.epfd, events, 0)
		if err != nil && err != syscall.EINTR {
			fmt.Fprintln(os.Stderr, "epoll:", err)
			os.Exit(1)
		}
		for i, ev := range events[:max(n, 0)] {
			if i%64 == 63 {
				runtime.Gosched() // a round is milliseconds long: let the sampled subscribers read meanwhile
			}
			c := l.conns[int(ev.Fd)]
			got, err := syscall.Read(c.fd, l.buf)
			if got > 0 {
				l.count(c, l.buf[:got])
			} else if err != syscall.EAGAIN && err != syscall.EINTR {
				l.drop(c)
			}
		}
	}
}

func (l *countingLoop) drop(c *counted) {
	_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	_ = c.file.Close()
	delete(l.conns, c.fd)
}

// count parses the frame headers in data, skips the payloads, answers pings, and adds the complete text
// frames to `received` (once sampling started).
func (l *countingLoop) count(c *counted, data []byte) {
	if len(c.pending) > 0 {
		data = append(c.pending, data...)
		c.pending = nil
	}
	frames := int64(0)
	for len(data) > 0 {
		if c.skip > 0 {
			k := min(c.skip, len(data))
			c.skip -= k
			data = data[k:]
			continue
		}
		fin, op, headerLen, n, ok := parseHeader(data)
		if !ok || (op >= opClose && len(data) < headerLen+n) {
			c.pending = append([]byte(nil), data...) // a split header, or a control frame to be read whole
			break
		}
		switch op {
		case opPing:
			pong(c.fd, data[headerLen:headerLen+n])
		case opClose:
			l.drop(c)
			return
		case opText, opContinue:
			if fin {
				frames++
			}
		}
		data = data[headerLen:]
		c.skip = n
	}
	if frames > 0 && sampling.Load() {
		received.Add(frames)
	}
}

// parseHeader reads a server frame's header (never masked): fin, opcode, the header's length, payload length.
func parseHeader(b []byte) (fin bool, op byte, headerLen, n int, ok bool) {
	if len(b) < 2 {
		return
	}
	fin, op, n, headerLen = b[0]&0x80 != 0, b[0]&0x0F, int(b[1]&0x7F), 2
	switch n {
	case 126:
		if len(b) < 4 {
			return
		}
		n, headerLen = int(binary.BigEndian.Uint16(b[2:4])), 4
	case 127:
		if len(b) < 10 {
			return
		}
		n, headerLen = int(binary.BigEndian.Uint64(b[2:10])), 10
	}
	return fin, op, headerLen, n, true
}

// pong answers a ping on the loop's socket: a masked control frame, written whole (it is tiny).
func pong(fd int, payload []byte) {
	frame := []byte{0x80 | opPong, 0x80 | byte(len(payload)), 0, 0, 0, 0}
	_, _ = rand.Read(frame[2:6])
	for i, b := range payload {
		frame = append(frame, b^frame[2+i&3])
	}
	_, _ = syscall.Write(fd, frame)
}
