package org.rocketmqcpp.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendCallback;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.SendStatus;
import org.apache.rocketmq.common.message.Message;

/**
 * The Java twin of bench/rmq_bench_producer.cpp in its --count mode, on the official rocketmq-client:
 * sends exactly N messages of --size bytes from --threads threads (a failed send is sent again),
 * synchronously or asynchronously with at most --pending answers outstanding (the C++ producer's
 * max_pending_async_sends, 10,000). Same per-second line, summary and "RESULT {json}" line.
 *
 * <pre>
 *   BenchProducer --namesrv ADDR --topic T --count N [--threads 4] [--size 128] [--async 0|1]
 *                 [--pending 10000]
 * </pre>
 *
 * CPU, RSS and context switches as BenchConsumer measures them, after the last answer arrived.
 */
public final class BenchProducer {

    public static void main(String[] args) throws Exception {
        String namesrv = BenchConsumer.arg(args, "namesrv", "127.0.0.1:9876");
        String topic = BenchConsumer.arg(args, "topic", "BenchmarkTest");
        int threads = Integer.parseInt(BenchConsumer.arg(args, "threads", "4"));
        int size = Integer.parseInt(BenchConsumer.arg(args, "size", "128"));
        long count = Long.parseLong(BenchConsumer.arg(args, "count", "0"));
        boolean async = !BenchConsumer.arg(args, "async", "0").equals("0");
        int pending = Integer.parseInt(BenchConsumer.arg(args, "pending", "10000"));
        if (threads < 1 || size < 1 || count < 1 || pending < 1) {
            System.err.println("usage: BenchProducer --namesrv ADDR --topic T --count N>=1 [--threads 4] [--size 128]"
                + " [--async 0|1] [--pending 10000]");
            Runtime.getRuntime().halt(2);
        }

        DefaultMQProducer producer = new DefaultMQProducer("benchmark_producer_java");
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName("bench_java_producer_" + ProcessHandle.current().pid());
        producer.setSendMsgTimeout(30_000);
        producer.start();

        byte[] body = new byte[size];
        Arrays.fill(body, (byte) 'a');
        final BenchConsumer.Histogram rt = new BenchConsumer.Histogram(); // microseconds
        final AtomicLong sentOk = new AtomicLong();
        final AtomicLong requests = new AtomicLong();
        final AtomicLong rtTotalUs = new AtomicLong();
        final AtomicLong rtMaxUs = new AtomicLong();
        final AtomicLong sendFailed = new AtomicLong();
        final AtomicLong responseFailed = new AtomicLong();
        final AtomicLong claimed = new AtomicLong();
        final Semaphore window = new Semaphore(pending);
        final long begin = System.nanoTime();
        target = count;

        Thread[] senders = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            senders[t] = new Thread(() -> {
                while (sentOk.get() < count) {
                    if (claimed.incrementAndGet() > count) { // a failed send gives its slot back
                        claimed.decrementAndGet();
                        try {
                            Thread.sleep(1);
                        } catch (InterruptedException e) {
                            return;
                        }
                        continue;
                    }
                    Message message = new Message(topic, "TagA", body);
                    long started = System.nanoTime();
                    try {
                        if (async) {
                            window.acquire();
                            producer.send(message, new SendCallback() {
                                @Override
                                public void onSuccess(SendResult result) {
                                    if (result.getSendStatus() == SendStatus.SEND_OK) {
                                        record(rt, sentOk, requests, rtTotalUs, rtMaxUs, started);
                                    } else {
                                        responseFailed.incrementAndGet();
                                        claimed.decrementAndGet();
                                    }
                                    window.release();
                                }

                                @Override
                                public void onException(Throwable e) {
                                    responseFailed.incrementAndGet();
                                    claimed.decrementAndGet();
                                    window.release();
                                }
                            });
                        } else {
                            SendResult result = producer.send(message);
                            if (result.getSendStatus() == SendStatus.SEND_OK) {
                                record(rt, sentOk, requests, rtTotalUs, rtMaxUs, started);
                            } else {
                                sendFailed.incrementAndGet();
                                claimed.decrementAndGet();
                            }
                        }
                    } catch (Exception e) {
                        if (async) {
                            window.release();
                        }
                        sendFailed.incrementAndGet();
                        claimed.decrementAndGet();
                    }
                }
            }, "bench-sender-" + t);
            senders[t].setDaemon(true);
            senders[t].start();
        }

        long lastOk = 0;
        long lastRequests = 0;
        long lastRtTotal = 0;
        for (int second = 1; sentOk.get() < count; second++) {
            long wait = begin + second * 1_000_000_000L - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            long ok = sentOk.get();
            long req = requests.get();
            long rtTotal = rtTotalUs.get();
            double average = req > lastRequests ? (double) (rtTotal - lastRtTotal) / (req - lastRequests) / 1000.0 : 0.0;
            System.out.printf(Locale.ROOT,
                "Send TPS: %d Max RT(ms): %.3f Average RT(ms): %.3f Send Failed: %d Response Failed: %d%n",
                ok - lastOk, rtMaxUs.getAndSet(0) / 1000.0, average, sendFailed.get(), responseFailed.get());
            System.out.flush();
            lastOk = ok;
            lastRequests = req;
            lastRtTotal = rtTotal;
            long failures = sendFailed.get() + responseFailed.get();
            if (failures > Math.max(1000, count / 10)) {
                System.err.println("too many failed sends, giving up");
                break;
            }
        }
        double elapsed = (System.nanoTime() - begin) / 1e9;
        BenchConsumer.Usage u = BenchConsumer.usage();
        long ok = sentOk.get();
        // Throughput: from the start to the answer that completed --count (not the report loop's tick).
        double sendS = completedAtNs != 0 ? (completedAtNs - begin) / 1e9 : elapsed;
        double throughput = ok / sendS;
        System.out.printf(Locale.ROOT,
            "Summary: sent %d, wall %.2f s (last answer after %.2f s), throughput %.0f msg/s, CPU %.2f s "
                + "(user %.2f sys %.2f), peak RSS %.1f MB, RT p50/p99/p999 %.3f/%.3f/%.3f ms%n",
            ok, elapsed, sendS, throughput, u.cpuS, u.userS, u.sysS, u.peakRssKb / 1024.0, rt.percentile(0.5) / 1000.0,
            rt.percentile(0.99) / 1000.0, rt.percentile(0.999) / 1000.0);
        System.out.println("RESULT " + String.format(Locale.ROOT,
            "{\"client\":\"java-producer\",\"async\":%d,\"threads\":%d,\"size\":%d,\"total\":%d,\"wall_s\":%.6g,"
                + "\"send_s\":%.6g,\"throughput\":%.6g,\"cpu_s\":%.6g,\"cpu_user_s\":%.6g,\"cpu_sys_s\":%.6g,\"peak_rss_kb\":%d,"
                + "\"ctx_voluntary\":%d,\"ctx_involuntary\":%d,\"rt_p50_ms\":%.6g,\"rt_p99_ms\":%.6g,"
                + "\"rt_p999_ms\":%.6g,\"send_failed\":%d,\"response_failed\":%d}",
            async ? 1 : 0, threads, size, ok, elapsed, sendS, throughput, u.cpuS, u.userS, u.sysS, u.peakRssKb,
            u.voluntarySwitches, u.involuntarySwitches, rt.percentile(0.5) / 1000.0, rt.percentile(0.99) / 1000.0,
            rt.percentile(0.999) / 1000.0, sendFailed.get(), responseFailed.get()));
        System.out.flush();
        producer.shutdown();
        Runtime.getRuntime().halt(ok >= count ? 0 : 1);
    }

    static void record(BenchConsumer.Histogram rt, AtomicLong sentOk, AtomicLong requests, AtomicLong rtTotalUs,
                       AtomicLong rtMaxUs, long startedNs) {
        long us = (System.nanoTime() - startedNs) / 1000;
        rt.record(us);
        rtTotalUs.addAndGet(us);
        rtMaxUs.accumulateAndGet(us, Math::max);
        requests.incrementAndGet();
        if (sentOk.incrementAndGet() == target) {
            completedAtNs = System.nanoTime();
        }
    }

    static volatile long target = -1; // --count: the answer that completes it is timed
    static volatile long completedAtNs = 0;
}
