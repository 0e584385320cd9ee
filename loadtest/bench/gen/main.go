// gen: the benchmark's load generator, in Go so that it is not the bottleneck. It speaks chorus (v1 or the
// compact encoding), raw uWebSockets.js text (as is, or padded to chorus's v1 frame size), and Socket.IO 4
// over engine.io v4. S subscribers on the nodes round-robin, P publishers sending ~80-byte bodies at RATE
// messages/s in total for SECONDS; it prints one JSON line.
//
// Chorus and raw subscribers use wire.go's minimal client: every delivery is counted (so loss is counted on
// all), but only every 20th subscriber reads its payloads, for per-publisher order and the latency of every
// delivery it gets; the others skip each payload without copying it. generatorCpuPct says how busy it was.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

var (
	target     = flag.String("target", "chorus", "chorus | chorus-compact | raw | raw-padded | socketio")
	urls       = flag.String("urls", "", "comma-separated ws:// (chorus, raw) or http:// (socketio) node urls")
	subs       = flag.Int("subs", 1000, "subscribers")
	pubs       = flag.Int("pubs", 4, "publishers")
	rate       = flag.Float64("rate", 100, "messages per second, all publishers together")
	seconds    = flag.Float64("seconds", 5, "how long to publish")
	mode       = flag.String("mode", "flow", "flow | idle (open the subscribers, report connections/s, hold)")
	counter    = flag.String("counter", "goroutines", "how the counting subscribers are read: goroutines | epoll (counting.go)")
	coalesceMs = flag.Float64("coalesce-ms", 10, "--counter epoll: each counting subscriber is read at most once per this many ms")
	rooms      = flag.Int("idle-rooms", 0, "idle mode, chorus: each connection joins one of this many rooms (0: none)")
)

var (
	room       = fmt.Sprintf("bench-%d", time.Now().UnixNano())
	sampling   atomic.Bool
	received   atomic.Int64
	disordered atomic.Int64
	lastAt     atomic.Int64
	latMu      sync.Mutex
	latencies  []int64
)

// server is the kind of server a target runs against.
func server() string {
	return strings.SplitN(*target, "-", 2)[0]
}

// Every sampled subscriber reads and checks its payloads; the others count frames.
const sampleEvery = 20

// padding: raw-padded's bodies carry what a chorus v1 message frame adds around the same body (151 bytes), so
// raw uWS and chorus put the same bytes on the wire.
var padding = map[string]int{"raw-padded": 36 + 151}

// The body publishers send: p = publisher, n = its counter, t = send time in ms, padding to ~80 bytes.
func body(p, n int) string {
	pad := 36
	if extra, ok := padding[*target]; ok {
		pad = extra
	}
	return fmt.Sprintf(`{"p":%d,"n":%d,"t":%d,"x":"%s"}`, p, n, time.Now().UnixMilli(), strings.Repeat("x", pad))
}

// intAfter reads the integer after key in frame (Socket.IO escapes the quotes: p\":).
func intAfter(frame []byte, key []byte) (int64, bool) {
	at := bytes.Index(frame, key)
	if at < 0 {
		return 0, false
	}
	var v int64
	for i := at + len(key); i < len(frame); i++ {
		c := frame[i]
		if c < '0' || c > '9' {
			break
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

type keys struct{ p, n, t []byte }

func keysFor(t string) keys {
	if server() == "socketio" {
		return keys{[]byte(`"p\":`), []byte(`"n\":`), []byte(`"t\":`)}
	}
	return keys{[]byte(`"p":`), []byte(`"n":`), []byte(`"t":`)}
}

// conn is a Socket.IO connection (gorilla) or a chorus/raw one (wire.go).
type conn struct {
	ws *websocket.Conn
	w  *wireConn
	mu sync.Mutex
}

func (c *conn) write(text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.w != nil {
		return c.w.writeText([]byte(text))
	}
	return c.ws.WriteMessage(websocket.TextMessage, []byte(text))
}

// readText returns the next text frame's payload (chorus and raw, during set-up).
func (c *conn) readText() ([]byte, error) {
	for {
		_, op, payload, err := c.w.next(true)
		if err != nil {
			return nil, err
		}
		if op == opText {
			return payload, nil
		}
	}
}

// dial opens one connection and returns once it can send (chorus: joined; socketio: namespace connected).
func dial(i int, role string) (*conn, error) {
	list := strings.Split(*urls, ",")
	base := list[i%len(list)]
	idle := *mode == "idle" && role == "sub"
	switch server() {
	case "raw":
		w, err := dialWire(base, "")
		if err != nil {
			return nil, err
		}
		return &conn{w: w}, nil
	case "chorus":
		protocol := "chorus.v1"
		if *target == "chorus-compact" {
			protocol = "chorus.v1.compact"
		}
		w, err := dialWire(fmt.Sprintf("%s?user=%s%d", base, role, i), protocol)
		if err != nil {
			return nil, err
		}
		c := &conn{w: w}
		if _, err := c.readText(); err != nil { // welcome
			return nil, err
		}
		joins := room
		if idle {
			// By default an idle connection is connected, not joined: a join into one 10,000-member room would
			// make every join a broadcast to everyone (presence), which is traffic, not idleness. With
			// --idle-rooms it joins one of that many rooms (idle-0, idle-1, …), round robin.
			if *rooms == 0 {
				return c, nil
			}
			joins = fmt.Sprintf("idle-%d", i%*rooms)
		}
		if err := c.write(fmt.Sprintf(`{"type":"join","room":"%s","id":"j"}`, joins)); err != nil {
			return nil, err
		}
		for {
			msg, err := c.readText()
			if err != nil {
				return nil, err
			}
			if bytes.HasPrefix(msg, []byte(`{"type":"ack","id":"j"`)) {
				return c, nil
			}
		}
	}
	parsed, _ := url.Parse(base)
	u := fmt.Sprintf("ws://%s/socket.io/?EIO=4&transport=websocket", parsed.Host)
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 4096}
	ws, _, err := dialer.Dial(u, nil)
	if err != nil {
		return nil, err
	}
	c := &conn{ws: ws}
	if _, _, err := ws.ReadMessage(); err != nil { // engine.io open packet
		return nil, err
	}
	if err := c.write("40"); err != nil {
		return nil, err
	}
	if _, _, err := ws.ReadMessage(); err != nil { // namespace connect ack
		return nil, err
	}
	return c, nil
}

// delivered checks one payload of a sampled subscriber: per-publisher order, and its latency.
func delivered(msg []byte, last map[int64]int64, k keys) {
	p, ok := intAfter(msg, k.p)
	if !ok {
		return
	}
	n, _ := intAfter(msg, k.n)
	if prev, seen := last[p]; seen && n != prev+1 {
		disordered.Add(1)
	}
	last[p] = n
	now := time.Now().UnixMilli()
	lastAt.Store(now)
	t, _ := intAfter(msg, k.t)
	latMu.Lock()
	latencies = append(latencies, now-t)
	latMu.Unlock()
}

// readWire: a chorus or raw connection. Subscribers count every text frame once sampling started; a sampled
// one also reads it. Publishers and idle connections just keep reading (pings are answered in wire.go).
func readWire(c *conn, sub int, role string, k keys) {
	sampled := role == "sub" && sub%sampleEvery == 0
	last := map[int64]int64{}
	for {
		fin, op, payload, err := c.w.next(sampled)
		if err != nil {
			return
		}
		if role != "sub" || !fin || (op != opText && op != opContinue) || !sampling.Load() {
			continue
		}
		received.Add(1)
		if sampled {
			delivered(payload, last, k)
		}
	}
}

func read(c *conn, sub int, role string, k keys) {
	if c.w != nil {
		readWire(c, sub, role, k)
		return
	}
	last := map[int64]int64{}
	for {
		_, msg, err := c.ws.ReadMessage()
		if err != nil {
			break
		}
		if len(msg) == 1 && msg[0] == '2' {
			_ = c.write("3") // engine.io ping → pong
			continue
		}
		if role != "sub" || !sampling.Load() {
			continue
		}
		if _, ok := intAfter(msg, k.p); !ok {
			continue
		}
		received.Add(1)
		delivered(msg, last, k) // Socket.IO is far from this generator's limit: every delivery is checked
	}
}

func openAll(count int, role string, onOpen func(*conn)) []*conn {
	out := make([]*conn, count)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 200)
	var failed atomic.Int64
	var firstErr atomic.Value
	for i := 0; i < count; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := dial(i, role)
			if err != nil { // once more, as a client would: a storm of 200 at a time may meet a full backlog
				time.Sleep(200 * time.Millisecond)
				c, err = dial(i, role)
			}
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			out[i] = c
			if onOpen != nil {
				onOpen(c)
			}
		}(i)
	}
	wg.Wait()
	if failed.Load() > 0 {
		fmt.Fprintf(os.Stderr, "%d %s connections failed (first: %v)\n", failed.Load(), role, firstErr.Load())
		os.Exit(1)
	}
	return out
}

func cpuSeconds() float64 {
	var r syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return float64(r.Utime.Nano()+r.Stime.Nano()) / 1e9
}

func main() {
	flag.Parse()
	k := keysFor(*target)
	started := time.Now()
	if *mode == "idle" {
		// each connection is read from the moment it opens (pings, presence), as a real client would
		opened := openAll(*subs, "sub", func(c *conn) { go read(c, 0, "idle", k) })
		secs := time.Since(started).Seconds()
		out, _ := json.Marshal(map[string]any{"target": *target, "connections": len(opened), "connectSeconds": secs, "connectionsPerSec": int(float64(*subs) / secs)})
		fmt.Println(string(out))
		select {}
	}
	subscribers := openAll(*subs, "sub", nil)
	var counting *countingLoop
	if *counter == "epoll" {
		var err error
		if counting, err = newCountingLoop(time.Duration(*coalesceMs * float64(time.Millisecond))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	for i, c := range subscribers {
		if counting == nil || c.w == nil || i%sampleEvery == 0 {
			go read(c, i, "sub", k)
		} else if err := counting.add(c.w); err != nil {
			fmt.Fprintln(os.Stderr, "counting subscriber:", err)
			os.Exit(1)
		}
	}
	if counting != nil {
		go counting.run()
	}
	publishers := openAll(*pubs, "pub", nil)
	for i, c := range publishers {
		go read(c, i, "pub", k)
	}
	time.Sleep(500 * time.Millisecond)

	cpu0 := cpuSeconds()
	t0 := time.Now()
	sampling.Store(true)
	fmt.Println(`{"phase":"sampling"}`) // the bench reads the server core's time from here to the result
	counters := make([]int, *pubs)
	published := 0
	owed := 0.0
	perTick := *rate / 100
	ticker := time.NewTicker(10 * time.Millisecond)
	deadline := t0.Add(time.Duration(*seconds * float64(time.Second)))
	for now := range ticker.C {
		if now.After(deadline) {
			break
		}
		// catch up on missed ticks, so the offered rate holds even when a tick is late
		owed = *rate*now.Sub(t0).Seconds() - float64(published)
		for owed >= 1 {
			p := published % *pubs
			frame := body(p, counters[p])
			switch server() {
			case "chorus":
				frame = fmt.Sprintf(`{"type":"send","room":"%s","body":%s}`, room, frame)
			case "socketio":
				escaped, _ := json.Marshal(frame)
				frame = fmt.Sprintf(`42["m",%s]`, escaped)
			}
			if err := publishers[p].write(frame); err != nil {
				fmt.Fprintln(os.Stderr, "publish failed:", err)
				os.Exit(1)
			}
			counters[p]++
			published++
			owed--
		}
	}
	ticker.Stop()
	_ = perTick
	sendSeconds := time.Since(t0).Seconds()
	// drain: until deliveries stop growing, at most 10 s
	prev := int64(-1)
	for i := 0; i < 50 && received.Load() != prev; i++ {
		prev = received.Load()
		time.Sleep(200 * time.Millisecond)
	}
	wall := time.Since(t0).Seconds()
	cpu := cpuSeconds() - cpu0
	got := received.Load()
	expected := int64(published) * int64(*subs)
	active := float64(lastAt.Load()-t0.UnixMilli()) / 1000
	if active < sendSeconds {
		active = sendSeconds
	}
	latMu.Lock()
	sort.Slice(latencies, func(a, b int) bool { return latencies[a] < latencies[b] })
	pct := func(q float64) any {
		if len(latencies) == 0 {
			return nil
		}
		i := int(q * float64(len(latencies)))
		if i >= len(latencies) {
			i = len(latencies) - 1
		}
		return latencies[i]
	}
	var maxLatency any
	if len(latencies) > 0 {
		maxLatency = latencies[len(latencies)-1]
	}
	out, _ := json.Marshal(map[string]any{
		"target": *target, "subs": *subs, "pubs": *pubs, "rate": *rate,
		"published": published, "offered": int(*rate * *seconds), "expected": expected, "received": got,
		"lost": expected - got, "lossPct": float64(expected-got) / float64(max64(expected, 1)) * 100,
		"disordered": disordered.Load(),
		// deliveries over the time they actually took to arrive, send window plus any backlog
		"deliveriesPerSec": int(float64(got) / active),
		"p50":              pct(0.5), "p99": pct(0.99), "max": maxLatency,
		"generatorCpuPct": int(cpu / wall * 100),
	})
	latMu.Unlock()
	fmt.Println(string(out))
	os.Exit(0)
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
