package main

import (
	"bytes"
	"syscall"
	"testing"
)

// serverFrame builds an unmasked server frame with a payload of n bytes.
func serverFrame(fin bool, op byte, n int) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	var f []byte
	switch {
	case n < 126:
		f = []byte{b0, byte(n)}
	case n < 1<<16:
		f = []byte{b0, 126, byte(n >> 8), byte(n)}
	default:
		f = []byte{b0, 127, 0, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return append(f, bytes.Repeat([]byte{'x'}, n)...)
}

// The stream every split below is cut from: frames of every header size, a fragmented message, a ping.
func stream() (data []byte, texts int64) {
	parts := [][]byte{
		serverFrame(true, opText, 100),
		serverFrame(true, opText, 300),    // 16-bit length
		serverFrame(true, opText, 70_000), // 64-bit length
		serverFrame(false, opText, 10),    // a message in two fragments: counted once, at its end
		serverFrame(true, opContinue, 10),
		serverFrame(true, opPing, 4),
		serverFrame(true, opText, 0),
	}
	return bytes.Join(parts, nil), 5
}

func countIn(t *testing.T, chunks [][]byte) int64 {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	sampling.Store(true)
	received.Store(0)
	l := &countingLoop{conns: map[int]*counted{}}
	c := &counted{fd: fds[0]}
	for _, chunk := range chunks {
		l.count(c, chunk)
	}
	if c.skip != 0 || len(c.pending) != 0 {
		t.Fatalf("stream ended mid-frame: skip %d, pending %d", c.skip, len(c.pending))
	}
	// the ping was answered with a masked pong carrying its payload
	pong := make([]byte, 64)
	n, err := syscall.Read(fds[1], pong)
	if err != nil || n != 2+4+4 || pong[0] != 0x80|opPong || pong[1] != 0x80|4 {
		t.Fatalf("pong: % x (err %v)", pong[:max(n, 0)], err)
	}
	return received.Load()
}

func TestCountsWholeStream(t *testing.T) {
	data, want := stream()
	if got := countIn(t, [][]byte{data}); got != want {
		t.Fatalf("counted %d frames, want %d", got, want)
	}
}

// Every cut point, including inside headers and the ping: the count never changes.
func TestCountsAcrossEverySplit(t *testing.T) {
	data, want := stream()
	for cut := 1; cut < len(data); cut += 1 + cut/50 {
		if got := countIn(t, [][]byte{data[:cut], data[cut:]}); got != want {
			t.Fatalf("split at %d: counted %d frames, want %d", cut, got, want)
		}
	}
}

func TestCountsByteByByte(t *testing.T) {
	data, want := stream()
	chunks := make([][]byte, 0, 1000)
	for i := 0; i < len(data); i++ {
		if i < 500 || i >= len(data)-100 {
			chunks = append(chunks, data[i:i+1])
		} else if i == 500 {
			chunks = append(chunks, data[500:len(data)-100])
		}
	}
	if got := countIn(t, chunks); got != want {
		t.Fatalf("counted %d frames, want %d", got, want)
	}
}

func TestNothingCountedBeforeSampling(t *testing.T) {
	data, _ := stream()
	l := &countingLoop{conns: map[int]*counted{}}
	fds, _ := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	sampling.Store(false)
	received.Store(0)
	l.count(&counted{fd: fds[0]}, data)
	if received.Load() != 0 {
		t.Fatalf("counted %d frames before sampling began", received.Load())
	}
}
