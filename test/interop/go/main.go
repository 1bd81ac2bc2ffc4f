// Command interop-go is the second interop peer of the C++ SDK tests, on the official Apache
// RocketMQ Go client (github.com/apache/rocketmq-client-go/v2). It has the `produce` and `consume`
// commands of the Java peer (test/interop/src/.../Interop.java) with the same options and the same
// JSON lines, so a test can swap one peer for the other. Run it through test/interop/go/interop-go.sh.
//
// stdout carries only JSON objects, one per line; the client's logs and ours go to stderr.
// Exit codes: 0 success, 1 failure, 2 usage error, 3 consume timeout.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

const (
	exitOK      = 0
	exitFail    = 1
	exitUsage   = 2
	exitTimeout = 3
)

const usage = `usage: interop-go.sh <command> [options]
  produce --namesrv ADDR --topic T --count N [--group G] [--tags a,b,c] [--keys-prefix P]
          [--property k=v]... [--body-size 128] [--binary] [--queue-id Q --broker NAME]
  consume --namesrv ADDR --group G --topic T [--expr '*' | --sql 'a > 1'] [--from first|last]
          [--count N] [--timeout-ms 60000] [--idle-ms 0] [--broadcast] [--dedup]
exit: 0 ok, 1 failure, 2 usage, 3 consume timeout`

// out is the real stdout; os.Stdout is pointed at stderr so that stray prints cannot corrupt it.
var (
	out     = os.Stdout
	outLock sync.Mutex
)

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func logf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "[interop-go] "+format+"\n", args...)
}

func main() {
	os.Stdout = os.Stderr
	if os.Getenv("ROCKETMQ_GO_LOG_LEVEL") == "" {
		// The client logs every rebalance and heartbeat at info (to stderr).
		rlog.SetLogLevel("warn")
	}
	rc, err := run(os.Args[1:])
	if err != nil {
		var u usageError
		if errors.As(err, &u) {
			logf("error: %s", u.msg)
			fmt.Fprintln(os.Stderr, usage)
			rc = exitUsage
		} else {
			logf("error: %v", err)
			rc = exitFail
		}
	}
	os.Exit(rc)
}

func run(args []string) (int, error) {
	if len(args) == 0 {
		return 0, usageError{"missing command"}
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(os.Stderr, usage)
		return exitOK, nil
	}
	o, err := parseOpts(args[1:])
	if err != nil {
		return 0, err
	}
	switch args[0] {
	case "produce":
		return produce(o)
	case "consume":
		return consume(o)
	default:
		return 0, usageError{"unknown command: " + args[0]}
	}
}

// ------------------------------------------------------------------ options

type opts struct {
	values map[string][]string
	flags  map[string]bool
}

var flagNames = map[string]bool{"binary": true, "broadcast": true, "dedup": true}
var valueNames = map[string]bool{"namesrv": true, "topic": true, "count": true, "group": true, "tags": true,
	"keys-prefix": true, "property": true, "body-size": true, "queue-id": true, "broker": true, "expr": true,
	"sql": true, "from": true, "timeout-ms": true, "idle-ms": true}

func parseOpts(a []string) (*opts, error) {
	o := &opts{values: map[string][]string{}, flags: map[string]bool{}}
	for i := 0; i < len(a); i++ {
		s := a[i]
		if !strings.HasPrefix(s, "--") {
			return nil, usageError{"unexpected argument: " + s}
		}
		name := s[2:]
		var val *string
		if eq := strings.IndexByte(name, '='); eq >= 0 {
			v := name[eq+1:]
			val = &v
			name = name[:eq]
		}
		switch {
		case flagNames[name]:
			if val != nil {
				return nil, usageError{"--" + name + " takes no value"}
			}
			o.flags[name] = true
		case valueNames[name]:
			if val == nil {
				if i+1 >= len(a) {
					return nil, usageError{"--" + name + " needs a value"}
				}
				i++
				v := a[i]
				val = &v
			}
			o.values[name] = append(o.values[name], *val)
		default:
			return nil, usageError{"unknown option: --" + name}
		}
	}
	return o, nil
}

func (o *opts) get(name, def string) string {
	if v, ok := o.values[name]; ok {
		return v[len(v)-1]
	}
	return def
}

func (o *opts) has(name string) bool { _, ok := o.values[name]; return ok }

func (o *opts) req(name string) (string, error) {
	if !o.has(name) {
		return "", usageError{"--" + name + " is required"}
	}
	return o.get(name, ""), nil
}

func (o *opts) num(name string, def int64) (int64, error) {
	if !o.has(name) {
		return def, nil
	}
	v := o.get(name, "")
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, usageError{"--" + name + " needs a number, got: " + v}
	}
	return n, nil
}

// ------------------------------------------------------------------ JSON lines

// jsonLine is an ordered JSON object (the Java peer's field order).
type jsonLine struct{ parts []string }

func (j *jsonLine) raw(k, rawJSON string) *jsonLine {
	key, _ := json.Marshal(k)
	j.parts = append(j.parts, string(key)+":"+rawJSON)
	return j
}

func (j *jsonLine) str(k string, v *string) *jsonLine {
	if v == nil {
		return j.raw(k, "null")
	}
	b, _ := json.Marshal(*v)
	return j.raw(k, string(b))
}

func (j *jsonLine) s(k, v string) *jsonLine { return j.str(k, &v) }

func (j *jsonLine) n(k string, v int64) *jsonLine { return j.raw(k, strconv.FormatInt(v, 10)) }

func (j *jsonLine) String() string { return "{" + strings.Join(j.parts, ",") + "}" }

func emit(j *jsonLine) {
	outLock.Lock()
	defer outLock.Unlock()
	fmt.Fprintln(out, j.String())
}

func sha256Hex(b []byte) string {
	d := sha256.Sum256(b)
	return hex.EncodeToString(d[:])
}

// ------------------------------------------------------------------ bodies

// javaRandom is java.util.Random (the 48-bit LCG), so that --binary bodies equal the Java peer's.
type javaRandom struct{ seed int64 }

const lcgMask = (int64(1) << 48) - 1

func newJavaRandom(seed int64) *javaRandom { return &javaRandom{(seed ^ 0x5DEECE66D) & lcgMask} }

func (r *javaRandom) next(bits uint) int32 {
	r.seed = (r.seed*0x5DEECE66D + 0xB) & lcgMask
	return int32(r.seed >> (48 - bits))
}

func (r *javaRandom) nextInt(bound int32) int32 {
	v := r.next(31)
	m := bound - 1
	if bound&m == 0 {
		return int32((int64(bound) * int64(v)) >> 31)
	}
	for u := v; ; u = r.next(31) {
		v = u % bound
		if u-v+m >= 0 { // int32 overflow, as in Java
			break
		}
	}
	return v
}

// body is message i's body, byte for byte the Java peer's Interop.body.
func body(i, size int, binary bool) []byte {
	b := make([]byte, size)
	if binary {
		r := newJavaRandom(0x5EED*1_000_003 + int64(i))
		var perm [256]int32
		for off := 0; off < size; off += 256 {
			for k := range perm {
				perm[k] = int32(k)
			}
			for k := int32(255); k > 0; k-- {
				j := r.nextInt(k + 1)
				perm[k], perm[j] = perm[j], perm[k]
			}
			for k := 0; k < 256 && off+k < size; k++ {
				b[off+k] = byte(perm[k])
			}
		}
		return b
	}
	prefix := []byte("msg-" + strconv.Itoa(i) + "-")
	for k := 0; k < size; k++ {
		if k < len(prefix) {
			b[k] = prefix[k]
		} else {
			b[k] = byte('a' + (k+i)%26)
		}
	}
	return b
}

func instanceName(kind string) string {
	return fmt.Sprintf("interop-go-%s-%d-%d", kind, os.Getpid(), time.Now().UnixNano())
}

func sendStatus(s primitive.SendStatus) string {
	switch s {
	case primitive.SendOK:
		return "SEND_OK"
	case primitive.SendFlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case primitive.SendFlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case primitive.SendSlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	default:
		return "UNKNOWN_ERROR"
	}
}

// ------------------------------------------------------------------ produce

func produce(o *opts) (int, error) {
	namesrv, err := o.req("namesrv")
	if err != nil {
		return 0, err
	}
	topic, err := o.req("topic")
	if err != nil {
		return 0, err
	}
	count, err := o.num("count", -1)
	if err != nil {
		return 0, err
	}
	if count < 0 {
		return 0, usageError{"--count is required"}
	}
	bodySize, err := o.num("body-size", 128)
	if err != nil {
		return 0, err
	}
	if bodySize < 0 {
		return 0, usageError{"--body-size must be >= 0"}
	}
	var tags []string
	if o.has("tags") {
		tags = strings.Split(o.get("tags", ""), ",")
	}
	type prop struct{ k, v string }
	var props []prop
	for _, p := range o.values["property"] {
		eq := strings.IndexByte(p, '=')
		if eq <= 0 {
			return 0, usageError{"--property needs k=v, got: " + p}
		}
		props = append(props, prop{p[:eq], p[eq+1:]})
	}
	var target *primitive.MessageQueue
	if o.has("queue-id") {
		qid, err := o.num("queue-id", 0)
		if err != nil {
			return 0, err
		}
		// The Go client has no public route lookup: name the broker (the Java peer defaults to the
		// route's first).
		broker, err := o.req("broker")
		if err != nil {
			return 0, usageError{"--queue-id needs --broker NAME with the Go peer"}
		}
		target = &primitive.MessageQueue{Topic: topic, BrokerName: broker, QueueId: int(qid)}
	} else if o.has("broker") {
		return 0, usageError{"--broker needs --queue-id"}
	}
	options := []producer.Option{
		producer.WithNsResolver(primitive.NewPassthroughResolver(strings.Split(namesrv, ";"))),
		producer.WithGroupName(o.get("group", "interop_producer")),
		producer.WithInstanceName(instanceName("producer")),
		producer.WithVIPChannel(false),
		// Generous deadlines: the peer runs beside sanitizer builds on a 2-core machine.
		producer.WithSendMsgTimeout(30 * time.Second),
		producer.WithRetry(2),
	}
	if target != nil {
		options = append(options, producer.WithQueueSelector(producer.NewManualQueueSelector()))
	}
	p, err := rocketmq.NewProducer(options...)
	if err != nil {
		return 0, err
	}
	if err := p.Start(); err != nil {
		return 0, fmt.Errorf("producer start: %w", err)
	}
	defer func() { _ = p.Shutdown() }()
	keysPrefix, hasKeys := o.values["keys-prefix"]
	binary := o.flags["binary"]
	t0 := time.Now()
	for i := 0; i < int(count); i++ {
		b := body(i, int(bodySize), binary)
		msg := primitive.NewMessage(topic, b)
		var tag *string
		if len(tags) > 0 {
			if t := tags[i%len(tags)]; t != "" {
				tag = &t
				msg.WithTag(t)
			}
		}
		var keys *string
		if hasKeys {
			k := keysPrefix[len(keysPrefix)-1] + strconv.Itoa(i)
			keys = &k
			msg.WithKeys([]string{k})
		}
		for _, pr := range props {
			msg.WithProperty(pr.k, pr.v)
		}
		if target != nil {
			msg.Queue = target
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		r, err := p.SendSync(ctx, msg)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("send %d to %s: %w", i, topic, err)
		}
		line := (&jsonLine{}).n("index", int64(i)).s("msgId", r.MsgID).s("offsetMsgId", r.OffsetMsgID).
			s("topic", r.MessageQueue.Topic).s("brokerName", r.MessageQueue.BrokerName).
			n("queueId", int64(r.MessageQueue.QueueId)).n("queueOffset", r.QueueOffset).
			s("sendStatus", sendStatus(r.Status)).str("tags", tag).str("keys", keys).
			n("bodySize", int64(len(b))).s("bodySha256", sha256Hex(b))
		emit(line)
	}
	logf("produced %d messages to %s in %d ms", count, topic, time.Since(t0).Milliseconds())
	return exitOK, nil
}

// ------------------------------------------------------------------ consume

func messageJSON(m *primitive.MessageExt) *jsonLine {
	props := m.GetProperties()
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	p := &jsonLine{}
	for _, k := range keys {
		p.s(k, props[k])
	}
	optional := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	brokerName := ""
	if m.Queue != nil {
		brokerName = m.Queue.BrokerName
	}
	offsetMsgID := m.OffsetMsgId
	if offsetMsgID == "" {
		offsetMsgID = m.MsgId
	}
	return (&jsonLine{}).s("msgId", m.MsgId).s("offsetMsgId", offsetMsgID).s("topic", m.Topic).
		str("tags", optional(m.GetTags())).str("keys", optional(m.GetKeys())).raw("properties", p.String()).
		n("bodySize", int64(len(m.Body))).s("bodySha256", sha256Hex(m.Body)).s("brokerName", brokerName).
		n("queueId", int64(queueID(m))).n("queueOffset", m.QueueOffset).n("reconsumeTimes", int64(m.ReconsumeTimes)).
		n("bornTimestamp", m.BornTimestamp).n("storeTimestamp", m.StoreTimestamp)
}

func queueID(m *primitive.MessageExt) int {
	if m.Queue != nil {
		return m.Queue.QueueId
	}
	return -1
}

func consume(o *opts) (int, error) {
	namesrv, err := o.req("namesrv")
	if err != nil {
		return 0, err
	}
	group, err := o.req("group")
	if err != nil {
		return 0, err
	}
	topic, err := o.req("topic")
	if err != nil {
		return 0, err
	}
	if o.has("sql") && o.has("expr") {
		return 0, usageError{"--expr and --sql are exclusive"}
	}
	count, err := o.num("count", -1)
	if err != nil {
		return 0, err
	}
	timeoutMs, err := o.num("timeout-ms", 60_000)
	if err != nil {
		return 0, err
	}
	idleMs, err := o.num("idle-ms", 0)
	if err != nil {
		return 0, err
	}
	var where consumer.ConsumeFromWhere
	switch o.get("from", "first") {
	case "first":
		where = consumer.ConsumeFromFirstOffset
	case "last":
		// CONSUME_FROM_LAST_OFFSET as the client does it: unlike the Java peer, no max offsets are
		// committed for a new group first (a broker may then answer 0 and the group starts at the
		// beginning of queues still in memory).
		where = consumer.ConsumeFromLastOffset
	default:
		return 0, usageError{"--from must be first or last"}
	}
	broadcast := o.flags["broadcast"]
	dedup := o.flags["dedup"]
	model := consumer.Clustering
	if broadcast {
		model = consumer.BroadCasting
	}
	selector := consumer.MessageSelector{Type: consumer.TAG, Expression: o.get("expr", "*")}
	if o.has("sql") {
		selector = consumer.MessageSelector{Type: consumer.SQL92, Expression: o.get("sql", "")}
	}

	var (
		printed    int64
		duplicates int64
		inFlight   int64
		lastNanos  int64
		done       = make(chan struct{})
		doneOnce   sync.Once
		seenLock   sync.Mutex
		seen       = map[string]bool{}
	)
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver(strings.Split(namesrv, ";"))),
		consumer.WithGroupName(group),
		consumer.WithInstance(instanceName("consumer")),
		consumer.WithVIPChannel(false),
		consumer.WithConsumeFromWhere(where),
		consumer.WithConsumerModel(model),
		consumer.WithConsumeMessageBatchMaxSize(1),
	)
	if err != nil {
		return 0, err
	}
	err = c.Subscribe(topic, selector, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		atomic.AddInt64(&inFlight, 1)
		park := false
		for _, m := range msgs {
			outLock.Lock()
			if count >= 0 && atomic.LoadInt64(&printed) >= count {
				// Beyond --count: leave it unacknowledged so that its offset is not committed.
				outLock.Unlock()
				park = true
				break
			}
			if dedup {
				seenLock.Lock()
				dup := seen[m.MsgId]
				seen[m.MsgId] = true
				seenLock.Unlock()
				if dup {
					atomic.AddInt64(&duplicates, 1)
					outLock.Unlock()
					continue
				}
			}
			fmt.Fprintln(out, messageJSON(m).String())
			atomic.StoreInt64(&lastNanos, time.Now().UnixNano())
			if atomic.AddInt64(&printed, 1) == count {
				doneOnce.Do(func() { close(done) })
			}
			outLock.Unlock()
		}
		atomic.AddInt64(&inFlight, -1)
		if park {
			// Never return: any result would commit the offset (success) or send the message back
			// (retry later). The process exits without waiting for this goroutine.
			select {}
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		return 0, fmt.Errorf("subscribe %s: %w", topic, err)
	}
	t0 := time.Now()
	if err := c.Start(); err != nil {
		return 0, fmt.Errorf("consumer start: %w", err)
	}
	logf("consumer %s started on %s %s=%s from=%s%s", group, topic, strings.ToLower(string(selector.Type)),
		selector.Expression, o.get("from", "first"), map[bool]string{true: " broadcast", false: ""}[broadcast])
	deadline := t0.Add(time.Duration(timeoutMs) * time.Millisecond)
	rc, reason := exitOK, ""
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
loop:
	for {
		select {
		case <-done:
			reason = "count reached"
			break loop
		case now := <-ticker.C:
			last := atomic.LoadInt64(&lastNanos)
			if idleMs > 0 && last != 0 && now.UnixNano()-last >= idleMs*int64(time.Millisecond) {
				reason = fmt.Sprintf("idle for %d ms", idleMs)
				break loop
			}
			if now.After(deadline) {
				if count >= 0 {
					rc, reason = exitTimeout, "timeout"
					logf("timeout: got %d of %d", atomic.LoadInt64(&printed), count)
				} else {
					reason = "timeout (no --count)"
				}
				break loop
			}
		}
	}
	// Let the callbacks that printed return, so that their offsets are updated before the shutdown
	// persists them; a parked callback never returns, so the shutdown is bounded too.
	settle := time.Now().Add(5 * time.Second)
	for atomic.LoadInt64(&inFlight) > 0 && time.Now().Before(settle) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	stopped := make(chan struct{})
	go func() { _ = c.Shutdown(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		logf("shutdown did not finish within 10 s")
	}
	dupText := ""
	if dedup {
		dupText = fmt.Sprintf(" duplicatesSkipped=%d", atomic.LoadInt64(&duplicates))
	}
	logf("consume summary: group=%s topic=%s printed=%d%s reason=%s elapsed=%d ms exit=%d", group, topic,
		atomic.LoadInt64(&printed), dupText, reason, time.Since(t0).Milliseconds(), rc)
	return rc, nil
}
