// Command bench-go is the Go twin of bench/rmq_bench_consumer.cpp and bench/rmq_bench_producer.cpp,
// on the official Apache RocketMQ Go client (github.com/apache/rocketmq-client-go/v2). Run it
// through bench/go/run.sh (which builds it).
//
//	bench-go [consume] --namesrv ADDR --topic T [--group G] [--threads 20] [--expect N] [--queues 16]
//	                   [--batch 32] [--consume-batch 1] [--timeout 600] [--idle 60]
//	bench-go produce   --namesrv ADDR --topic T --count N [--threads 4] [--size 128] [--async 0|1]
//	                   [--pending 10000]
//
// consume: the flags, per-second line, READY line, summary and "RESULT {json}" line of the C++ and
// Java consumers (same histogram layout, same exactly-once counting by (broker, queue, offset), same
// figures taken when the Nth distinct message has been consumed, before shutdown). --threads is
// the client's ConsumeGoroutineNums (its consume concurrency per topic), --batch its PullBatchSize,
// --consume-batch its ConsumeMessageBatchMaxSize.
//
// produce: sends exactly N messages of --size bytes from --threads goroutines (a failed send is
// sent again), synchronously or with SendAsync (at most --pending answers outstanding, as the C++
// producer's max_pending_async_sends); per-second "Send TPS" line, summary, RESULT line.
//
// CPU: getrusage(RUSAGE_SELF) user + sys (all threads), peak RSS ru_maxrss, context switches
// ru_nvcsw / ru_nivcsw (all threads, including exited ones).
package main

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

// ---- histogram: identical bucket layout to bench/bench_util.h

const (
	hLinear  = 2048
	hSub     = 1024
	hBuckets = hLinear + 21*hSub
)

type histogram struct {
	counts [hBuckets]int64
	count  int64
	sum    int64
	max    int64
}

func bucketOf(v int64) int {
	if v < 0 {
		v = 0
	}
	if v < hLinear {
		return int(v)
	}
	if v >= 1<<31 {
		v = 1<<31 - 1
	}
	b := 64 - bits.LeadingZeros64(uint64(v))
	shift := b - 11
	return hLinear + (shift-1)*hSub + int((v>>uint(shift))-hSub)
}

func valueOf(bucket int) int64 {
	if bucket < hLinear {
		return int64(bucket)
	}
	shift := (bucket-hLinear)/hSub + 1
	mantissa := int64((bucket-hLinear)%hSub + hSub)
	return mantissa << uint(shift)
}

func (h *histogram) record(v int64) {
	atomic.AddInt64(&h.counts[bucketOf(v)], 1)
	atomic.AddInt64(&h.count, 1)
	if v > 0 {
		atomic.AddInt64(&h.sum, v)
	}
	raiseMax(&h.max, v)
}

func (h *histogram) mean() float64 {
	n := atomic.LoadInt64(&h.count)
	if n == 0 {
		return 0
	}
	return float64(atomic.LoadInt64(&h.sum)) / float64(n)
}

func (h *histogram) percentile(q float64) int64 {
	var total int64
	for i := range h.counts {
		total += atomic.LoadInt64(&h.counts[i])
	}
	if total == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(total)))
	if rank < 1 {
		rank = 1
	}
	var cumulative int64
	for b := 0; b < hBuckets; b++ {
		cumulative += atomic.LoadInt64(&h.counts[b])
		if cumulative >= rank {
			return valueOf(b)
		}
	}
	return atomic.LoadInt64(&h.max)
}

func raiseMax(slot *int64, v int64) {
	for {
		seen := atomic.LoadInt64(slot)
		if v <= seen || atomic.CompareAndSwapInt64(slot, seen, v) {
			return
		}
	}
}

// ---- exactly-once accounting: one bit per (broker, queue, offset)

type seenSet struct {
	words      int64
	bitmaps    sync.Map // "broker/queue" -> []uint64
	outOfRange int64
}

func (s *seenSet) add(broker string, queue int, offset int64) bool {
	if offset < 0 || offset/64 >= s.words {
		atomic.AddInt64(&s.outOfRange, 1)
		return true
	}
	key := broker + "/" + strconv.Itoa(queue)
	v, ok := s.bitmaps.Load(key)
	if !ok {
		v, _ = s.bitmaps.LoadOrStore(key, make([]uint64, s.words))
	}
	word := &v.([]uint64)[offset/64]
	mask := uint64(1) << uint(offset%64)
	for {
		old := atomic.LoadUint64(word)
		if old&mask != 0 {
			return false
		}
		if atomic.CompareAndSwapUint64(word, old, old|mask) {
			return true
		}
	}
}

// ---- process usage

type usage struct {
	userS, sysS   float64
	peakRssKb     int64
	nvcsw, nivcsw int64
}

func (u usage) cpuS() float64 { return u.userS + u.sysS }

func processUsage() usage {
	var r syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r)
	return usage{
		userS:     float64(r.Utime.Sec) + float64(r.Utime.Usec)/1e6,
		sysS:      float64(r.Stime.Sec) + float64(r.Stime.Usec)/1e6,
		peakRssKb: int64(r.Maxrss),
		nvcsw:     int64(r.Nvcsw),
		nivcsw:    int64(r.Nivcsw),
	}
}

// ---- flags: "--name value" / "--name=value"

type flags map[string]string

func parseFlags(args []string) flags {
	f := flags{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "--") {
			continue
		}
		if eq := strings.IndexByte(a, '='); eq >= 0 {
			f[a[2:eq]] = a[eq+1:]
		} else if i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			f[a[2:]] = args[i+1]
			i++
		} else {
			f[a[2:]] = "1"
		}
	}
	return f
}

func (f flags) str(name, def string) string {
	if v, ok := f[name]; ok {
		return v
	}
	return def
}

func (f flags) num(name string, def int64) int64 {
	if v, ok := f[name]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bad --%s %q: not an integer\n", name, v)
			os.Exit(2)
		}
		return n
	}
	return def
}

func (f flags) float(name string, def float64) float64 {
	if v, ok := f[name]; ok {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bad --%s %q: not a number\n", name, v)
			os.Exit(2)
		}
		return n
	}
	return def
}

// ---- one flat JSON object in insertion order

type jsonLine struct{ parts []string }

func (j *jsonLine) s(k, v string) *jsonLine {
	j.parts = append(j.parts, strconv.Quote(k)+":"+strconv.Quote(v))
	return j
}
func (j *jsonLine) n(k string, v int64) *jsonLine {
	j.parts = append(j.parts, strconv.Quote(k)+":"+strconv.FormatInt(v, 10))
	return j
}
func (j *jsonLine) f(k string, v float64) *jsonLine {
	j.parts = append(j.parts, strconv.Quote(k)+":"+strconv.FormatFloat(v, 'g', 6, 64))
	return j
}
func (j *jsonLine) String() string { return "{" + strings.Join(j.parts, ",") + "}" }

func nowMillis() int64 { return time.Now().UnixNano() / int64(time.Millisecond) }

func main() {
	if os.Getenv("ROCKETMQ_GO_LOG_LEVEL") == "" {
		rlog.SetLogLevel("warn") // the client logs every rebalance and heartbeat at info
	}
	args := os.Args[1:]
	cmd := "consume"
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		cmd, args = args[0], args[1:]
	}
	f := parseFlags(args)
	if _, help := f["help"]; help {
		fmt.Fprintln(os.Stderr, "usage: bench-go [consume] --namesrv ADDR --topic T [--group G] [--threads 20] [--expect N]"+
			" [--queues 16] [--batch 32] [--consume-batch 1] [--timeout 600] [--idle 60]\n"+
			"       bench-go produce --namesrv ADDR --topic T --count N [--threads 4] [--size 128] [--async 0|1] [--pending 10000]")
		os.Exit(2)
	}
	switch cmd {
	case "consume":
		os.Exit(consume(f))
	case "produce":
		os.Exit(produce(f))
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q (consume or produce)\n", cmd)
		os.Exit(2)
	}
}

// ---- consume

func consume(f flags) int {
	namesrv := f.str("namesrv", "127.0.0.1:9876")
	topic := f.str("topic", "BenchmarkTest")
	group := f.str("group", fmt.Sprintf("benchmark_consumer_go_%d", nowMillis()))
	threads := int(f.num("threads", 20))
	expect := f.num("expect", 0)
	queues := int(f.num("queues", 16))
	batch := int(f.num("batch", 32))
	consumeBatch := int(f.num("consume-batch", 1))
	timeoutS := f.float("timeout", 600)
	idleS := f.float("idle", 60)
	if threads < 1 || batch < 1 || consumeBatch < 1 {
		fmt.Fprintln(os.Stderr, "--threads, --batch and --consume-batch must be at least 1")
		return 2
	}

	words := expect
	if words <= 0 {
		words = 1 << 20
	}
	seen := &seenSet{words: words/64 + 1}
	var (
		b2c, s2c                   histogram
		deliveries, unique         int64
		windowB2cSum, windowS2cSum int64
		windowB2cMax, windowS2cMax int64
		firstAtNs, lastAtNs        int64
		owned                      int64 // queues of the topic the last allocation gave us
		doneOnce                   sync.Once
		done                       = make(chan struct{})
		usageAtDone                usage
	)
	start := time.Now()
	mono := func() int64 { return int64(time.Since(start)) } // monotonic ns since start

	// Records how many queues of the topic the rebalance gave this consumer (the READY line).
	allocate := func(g, cid string, all []*primitive.MessageQueue, cids []string) []*primitive.MessageQueue {
		mine := consumer.AllocateByAveragely(g, cid, all, cids)
		if len(all) > 0 && all[0].Topic == topic {
			atomic.StoreInt64(&owned, int64(len(mine)))
		}
		return mine
	}
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNsResolver(primitive.NewPassthroughResolver(strings.Split(namesrv, ";"))),
		consumer.WithGroupName(group),
		consumer.WithInstance(fmt.Sprintf("bench_go_%d_%d", os.Getpid(), time.Now().UnixNano())),
		consumer.WithVIPChannel(false),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumeGoroutineNums(threads),
		consumer.WithPullBatchSize(int32(batch)),
		consumer.WithConsumeMessageBatchMaxSize(consumeBatch),
		consumer.WithStrategy(allocate),
	)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bad option: %v\n", err)
		return 2
	}
	err = c.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			now := nowMillis()
			for _, m := range msgs {
				born := now - m.BornTimestamp
				stored := now - m.StoreTimestamp
				atomic.AddInt64(&deliveries, 1)
				atomic.AddInt64(&windowB2cSum, born)
				atomic.AddInt64(&windowS2cSum, stored)
				raiseMax(&windowB2cMax, born)
				raiseMax(&windowS2cMax, stored)
				broker, queue := "", 0
				if m.Queue != nil {
					broker, queue = m.Queue.BrokerName, m.Queue.QueueId
				}
				if !seen.add(broker, queue, m.QueueOffset) {
					continue
				}
				b2c.record(born)
				s2c.record(stored)
				at := mono()
				atomic.CompareAndSwapInt64(&firstAtNs, 0, at)
				if atomic.AddInt64(&unique, 1) == expect {
					doneOnce.Do(func() {
						atomic.StoreInt64(&lastAtNs, at)
						usageAtDone = processUsage()
						close(done)
					})
				}
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		fmt.Fprintf(os.Stderr, "subscribe failed: %v\n", err)
		return 1
	}
	if err := c.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "start failed: %v\n", err)
		return 1
	}
	fmt.Printf("STARTED group=%s threads=%d batch=%d consume_batch=%d expect=%d\n", group, threads, batch, consumeBatch, expect)

	ready, timedOut, finished := false, false, false
	var lastDeliveries, lastUnique int64
	lastProgress := time.Now()
	for second := 1; ; second++ {
		select {
		case <-done:
			finished = true
		case <-time.After(time.Until(start.Add(time.Duration(second) * time.Second))):
		}
		if finished {
			break
		}
		if n := atomic.LoadInt64(&owned); !ready && n >= int64(queues) {
			ready = true
			fmt.Printf("READY owned_queues=%d\n", n)
		}
		d := atomic.LoadInt64(&deliveries)
		delta := d - lastDeliveries
		b2cSum := atomic.SwapInt64(&windowB2cSum, 0)
		s2cSum := atomic.SwapInt64(&windowS2cSum, 0)
		avgB2c, avgS2c := 0.0, 0.0
		if delta > 0 {
			avgB2c, avgS2c = float64(b2cSum)/float64(delta), float64(s2cSum)/float64(delta)
		}
		fmt.Printf("Consume TPS: %d | AVG(B2C) RT(ms): %7.3f | AVG(S2C) RT(ms): %7.3f | MAX(B2C) RT(ms): %d | "+
			"MAX(S2C) RT(ms): %d | Consume Fail: %d\n", delta, avgB2c, avgS2c,
			atomic.SwapInt64(&windowB2cMax, 0), atomic.SwapInt64(&windowS2cMax, 0), 0)
		lastDeliveries = d
		u := atomic.LoadInt64(&unique)
		now := time.Now()
		if u != lastUnique {
			lastUnique, lastProgress = u, now
		}
		elapsed := now.Sub(start).Seconds()
		idle := now.Sub(lastProgress).Seconds()
		if expect > 0 && (elapsed > timeoutS || (u > 0 && idle > idleS) || (u == 0 && elapsed > idleS+30)) {
			timedOut = true
			break
		}
		if expect <= 0 && elapsed > timeoutS {
			break
		}
	}

	var us usage
	var lastNs int64
	if finished {
		us, lastNs = usageAtDone, atomic.LoadInt64(&lastAtNs)
	} else {
		us, lastNs = processUsage(), mono()
	}
	total := atomic.LoadInt64(&unique)
	first := atomic.LoadInt64(&firstAtNs)
	wall := float64(lastNs) / 1e9
	active := 0.0
	if first > 0 {
		active = float64(lastNs-first) / 1e9
	}
	throughput := 0.0
	if active > 0 {
		throughput = float64(total) / active
	}
	complete := expect <= 0 || total >= expect
	timedOutText := ""
	if timedOut {
		timedOutText = " TIMED OUT"
	}
	fmt.Printf("Summary: consumed %d of %d (deliveries %d), wall %.2f s (first message after %.2f s), throughput %.0f "+
		"msg/s, CPU %.2f s (user %.2f sys %.2f), peak RSS %.1f MB, B2C p50/p99/p999/max %d/%d/%d/%d ms, "+
		"S2C p50/p99/p999/max %d/%d/%d/%d ms, context switches %d voluntary %d involuntary%s\n",
		total, expect, atomic.LoadInt64(&deliveries), wall, float64(first)/1e9, throughput, us.cpuS(), us.userS,
		us.sysS, float64(us.peakRssKb)/1024, b2c.percentile(0.5), b2c.percentile(0.99), b2c.percentile(0.999),
		atomic.LoadInt64(&b2c.max), s2c.percentile(0.5), s2c.percentile(0.99), s2c.percentile(0.999),
		atomic.LoadInt64(&s2c.max), us.nvcsw, us.nivcsw, timedOutText)
	completeFlag := int64(0)
	if complete {
		completeFlag = 1
	}
	j := &jsonLine{}
	j.s("client", "go").s("group", group).n("threads", int64(threads)).n("batch", int64(batch)).
		n("consume_batch", int64(consumeBatch)).n("expect", expect).n("total", total).
		n("deliveries", atomic.LoadInt64(&deliveries)).n("complete", completeFlag).f("wall_s", wall).
		f("active_s", active).f("throughput", throughput).f("cpu_s", us.cpuS()).f("cpu_user_s", us.userS).
		f("cpu_sys_s", us.sysS).n("peak_rss_kb", us.peakRssKb).n("ctx_voluntary", us.nvcsw).
		n("ctx_involuntary", us.nivcsw).f("b2c_avg_ms", b2c.mean()).n("b2c_p50_ms", b2c.percentile(0.5)).
		n("b2c_p99_ms", b2c.percentile(0.99)).n("b2c_p999_ms", b2c.percentile(0.999)).
		n("b2c_max_ms", atomic.LoadInt64(&b2c.max)).f("s2c_avg_ms", s2c.mean()).
		n("s2c_p50_ms", s2c.percentile(0.5)).n("s2c_p99_ms", s2c.percentile(0.99)).
		n("s2c_p999_ms", s2c.percentile(0.999)).n("s2c_max_ms", atomic.LoadInt64(&s2c.max)).
		n("out_of_range", atomic.LoadInt64(&seen.outOfRange))
	fmt.Printf("RESULT %s\n", j)
	// The figures are out; a bounded shutdown (the client persists offsets), then exit.
	stopped := make(chan struct{})
	go func() { _ = c.Shutdown(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		fmt.Fprintln(os.Stderr, "shutdown did not finish within 10 s")
	}
	if complete {
		return 0
	}
	return 1
}

// ---- produce

func produce(f flags) int {
	namesrv := f.str("namesrv", "127.0.0.1:9876")
	topic := f.str("topic", "BenchmarkTest")
	threads := int(f.num("threads", 4))
	size := int(f.num("size", 128))
	count := f.num("count", 0)
	async := f.num("async", 0) != 0
	pending := int(f.num("pending", 10000))
	if threads < 1 || size < 1 || count < 1 || pending < 1 {
		fmt.Fprintln(os.Stderr, "produce needs --count N >= 1, --threads >= 1, --size >= 1, --pending >= 1")
		return 2
	}
	p, err := rocketmq.NewProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver(strings.Split(namesrv, ";"))),
		producer.WithGroupName("benchmark_producer_go"),
		producer.WithInstanceName(fmt.Sprintf("bench_go_producer_%d", os.Getpid())),
		producer.WithVIPChannel(false),
		producer.WithRetry(2),
	)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bad option: %v\n", err)
		return 2
	}
	if err := p.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "start failed: %v\n", err)
		return 1
	}
	body := []byte(strings.Repeat("a", size))
	begin := time.Now()
	var (
		rt                              histogram // microseconds
		sentOK, requests, rtTotalUs     int64
		rtMaxUs, sendFailed, respFailed int64
		claimed                         int64
	)
	var completedNs int64 // since begin: the answer that completed --count
	record := func(started time.Time) {
		us := int64(time.Since(started) / time.Microsecond)
		if atomic.AddInt64(&sentOK, 1) == count {
			atomic.StoreInt64(&completedNs, int64(time.Since(begin)))
		}
		atomic.AddInt64(&requests, 1)
		atomic.AddInt64(&rtTotalUs, us)
		rt.record(us)
		raiseMax(&rtMaxUs, us)
	}
	// A sender claims a slot before sending; a failed send gives its slot back.
	claim := func() bool {
		if atomic.AddInt64(&claimed, 1) > count {
			atomic.AddInt64(&claimed, -1)
			return false
		}
		return true
	}
	window := make(chan struct{}, pending) // outstanding async answers
	var inFlight sync.WaitGroup
	var senders sync.WaitGroup
	for t := 0; t < threads; t++ {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for atomic.LoadInt64(&sentOK) < count {
				if !claim() {
					time.Sleep(time.Millisecond) // failures may hand slots back
					continue
				}
				msg := primitive.NewMessage(topic, body)
				msg.WithTag("TagA")
				started := time.Now()
				if async {
					window <- struct{}{}
					inFlight.Add(1)
					err := p.SendAsync(context.Background(), func(_ context.Context, r *primitive.SendResult, e error) {
						if e != nil || r == nil || r.Status != primitive.SendOK {
							atomic.AddInt64(&respFailed, 1)
							atomic.AddInt64(&claimed, -1)
						} else {
							record(started)
						}
						<-window
						inFlight.Done()
					}, msg)
					if err != nil { // no callback comes (e.g. the route is not known yet)
						atomic.AddInt64(&sendFailed, 1)
						atomic.AddInt64(&claimed, -1)
						<-window
						inFlight.Done()
						time.Sleep(10 * time.Millisecond)
					}
				} else {
					r, err := p.SendSync(context.Background(), msg)
					if err != nil || r.Status != primitive.SendOK {
						atomic.AddInt64(&sendFailed, 1)
						atomic.AddInt64(&claimed, -1)
					} else {
						record(started)
					}
				}
			}
		}()
	}
	var lastOK, lastRequests, lastRtTotal int64
	gaveUp := false
	for second := 1; atomic.LoadInt64(&sentOK) < count; second++ {
		time.Sleep(time.Until(begin.Add(time.Duration(second) * time.Second)))
		ok := atomic.LoadInt64(&sentOK)
		req := atomic.LoadInt64(&requests)
		rtTotal := atomic.LoadInt64(&rtTotalUs)
		avg := 0.0
		if req > lastRequests {
			avg = float64(rtTotal-lastRtTotal) / float64(req-lastRequests) / 1000
		}
		fmt.Printf("Send TPS: %d Max RT(ms): %.3f Average RT(ms): %.3f Send Failed: %d Response Failed: %d\n",
			ok-lastOK, float64(atomic.SwapInt64(&rtMaxUs, 0))/1000, avg, atomic.LoadInt64(&sendFailed),
			atomic.LoadInt64(&respFailed))
		lastOK, lastRequests, lastRtTotal = ok, req, rtTotal
		failures := atomic.LoadInt64(&sendFailed) + atomic.LoadInt64(&respFailed)
		if failures > 1000 && failures > count/10 {
			fmt.Fprintln(os.Stderr, "too many failed sends, giving up")
			gaveUp = true
			break
		}
	}
	if !gaveUp {
		senders.Wait()
		inFlight.Wait()
	}
	elapsed := time.Since(begin).Seconds()
	us := processUsage()
	ok := atomic.LoadInt64(&sentOK)
	// Throughput: from the start to the answer that completed --count (not the report loop's tick).
	sendS := elapsed
	if c := atomic.LoadInt64(&completedNs); c > 0 {
		sendS = float64(c) / 1e9
	}
	throughput := float64(ok) / sendS
	fmt.Printf("Summary: sent %d, wall %.2f s (last answer after %.2f s), throughput %.0f msg/s, CPU %.2f s (user %.2f sys %.2f), peak RSS %.1f MB, "+
		"RT p50/p99/p999 %.3f/%.3f/%.3f ms\n", ok, elapsed, sendS, throughput, us.cpuS(), us.userS, us.sysS,
		float64(us.peakRssKb)/1024, float64(rt.percentile(0.5))/1000, float64(rt.percentile(0.99))/1000,
		float64(rt.percentile(0.999))/1000)
	j := &jsonLine{}
	j.s("client", "go-producer").n("async", map[bool]int64{true: 1, false: 0}[async]).n("threads", int64(threads)).
		n("size", int64(size)).n("total", ok).f("wall_s", elapsed).f("send_s", sendS).f("throughput", throughput).
		f("cpu_s", us.cpuS()).f("cpu_user_s", us.userS).f("cpu_sys_s", us.sysS).n("peak_rss_kb", us.peakRssKb).
		n("ctx_voluntary", us.nvcsw).n("ctx_involuntary", us.nivcsw).
		f("rt_p50_ms", float64(rt.percentile(0.5))/1000).f("rt_p99_ms", float64(rt.percentile(0.99))/1000).
		f("rt_p999_ms", float64(rt.percentile(0.999))/1000).n("send_failed", atomic.LoadInt64(&sendFailed)).
		n("response_failed", atomic.LoadInt64(&respFailed))
	fmt.Printf("RESULT %s\n", j)
	_ = p.Shutdown()
	if ok >= count {
		return 0
	}
	return 1
}
