package org.rocketmqcpp.bench;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyContext;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.MessageExt;

/**
 * The Java twin of bench/rmq_bench_consumer.cpp, on the official rocketmq-client: same flags, same
 * per-second line (the distribution's Consumer benchmark line), same histogram layout, same
 * exactly-once counting by (broker, queue, offset), same summary and "RESULT {json}" line.
 *
 * <pre>
 *   BenchConsumer --namesrv ADDR --topic T [--group G] [--threads 20] [--expect N] [--queues 16]
 *                 [--batch 32] [--consume-batch 1] [--timeout 600] [--idle 60]
 * </pre>
 *
 * CPU seconds: OperatingSystemMXBean.getProcessCpuTime (all threads: JIT, GC and client threads),
 * split into user / sys from /proc/self/stat; peak RSS: VmHWM of /proc/self/status. Both are taken
 * when the Nth distinct message has been consumed, before shutdown, as on the C++ side. Context
 * switches: voluntary_ctxt_switches / nonvoluntary_ctxt_switches summed over /proc/self/task/*&#47;status
 * (the JVM has no getrusage; threads that already exited are not counted, the client's pools are
 * long-lived so that is what remains of the start-up threads).
 */
public final class BenchConsumer {

    // ---- histogram: identical bucket layout to bench/bench_util.h
    static final class Histogram {
        static final int LINEAR = 2048;
        static final int SUB = 1024;
        static final int BUCKETS = LINEAR + 21 * SUB;
        final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
        final AtomicLong count = new AtomicLong();
        final AtomicLong sum = new AtomicLong();
        final AtomicLong max = new AtomicLong();

        static int bucketOf(long value) {
            if (value < 0) {
                value = 0;
            }
            if (value < LINEAR) {
                return (int) value;
            }
            if (value >= (1L << 31)) {
                value = (1L << 31) - 1;
            }
            int bits = 64 - Long.numberOfLeadingZeros(value);
            int shift = bits - 11;
            return LINEAR + (shift - 1) * SUB + (int) ((value >> shift) - SUB);
        }

        static long valueOf(int bucket) {
            if (bucket < LINEAR) {
                return bucket;
            }
            int shift = (bucket - LINEAR) / SUB + 1;
            long mantissa = (bucket - LINEAR) % SUB + SUB;
            return mantissa << shift;
        }

        void record(long value) {
            counts.incrementAndGet(bucketOf(value));
            count.incrementAndGet();
            sum.addAndGet(Math.max(value, 0));
            max.accumulateAndGet(value, Math::max);
        }

        double mean() {
            long n = count.get();
            return n > 0 ? (double) sum.get() / n : 0.0;
        }

        long percentile(double q) {
            long total = 0;
            for (int b = 0; b < BUCKETS; b++) {
                total += counts.get(b);
            }
            if (total == 0) {
                return 0;
            }
            long rank = Math.max(1, (long) Math.ceil(q * total));
            long cumulative = 0;
            for (int b = 0; b < BUCKETS; b++) {
                cumulative += counts.get(b);
                if (cumulative >= rank) {
                    return valueOf(b);
                }
            }
            return max.get();
        }
    }

    // ---- exactly-once accounting: one bit per (broker, queue, offset)
    static final class SeenSet {
        final int words;
        final ConcurrentHashMap<String, AtomicLongArray> bitmaps = new ConcurrentHashMap<>();
        final AtomicLong outOfRange = new AtomicLong();

        SeenSet(long maxOffsetPerQueue) {
            this.words = (int) (maxOffsetPerQueue / 64 + 1);
        }

        boolean add(String broker, int queueId, long offset) {
            if (offset < 0 || offset / 64 >= words) {
                outOfRange.incrementAndGet();
                return true;
            }
            AtomicLongArray bits = bitmaps.computeIfAbsent(broker + "/" + queueId, k -> new AtomicLongArray(words));
            int index = (int) (offset / 64);
            long mask = 1L << (offset % 64);
            long previous = bits.getAndAccumulate(index, mask, (a, b) -> a | b);
            return (previous & mask) == 0;
        }
    }

    static final class Usage {
        double userS;
        double sysS;
        double cpuS;
        long peakRssKb;
        long voluntarySwitches;
        long involuntarySwitches;
    }

    static Usage usage() {
        Usage u = new Usage();
        try {
            com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            u.cpuS = os.getProcessCpuTime() / 1e9;
        } catch (Throwable t) {
            u.cpuS = -1;
        }
        try {
            String stat = new String(Files.readAllBytes(Paths.get("/proc/self/stat")));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after "pid (comm) ": state=f[0], ..., utime=f[11], stime=f[12] (clock ticks, 100 Hz)
            u.userS = Long.parseLong(f[11]) / 100.0;
            u.sysS = Long.parseLong(f[12]) / 100.0;
            if (u.cpuS < 0) {
                u.cpuS = u.userS + u.sysS;
            }
        } catch (Exception e) {
            // leave zero
        }
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    u.peakRssKb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // leave zero
        }
        try (java.nio.file.DirectoryStream<java.nio.file.Path> tasks =
                 Files.newDirectoryStream(Paths.get("/proc/self/task"))) {
            for (java.nio.file.Path task : tasks) {
                try {
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.startsWith("voluntary_ctxt_switches:")) {
                            u.voluntarySwitches += Long.parseLong(line.replaceAll("[^0-9]", ""));
                        } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                            u.involuntarySwitches += Long.parseLong(line.replaceAll("[^0-9]", ""));
                        }
                    }
                } catch (Exception e) {
                    // the thread exited meanwhile
                }
            }
        } catch (Exception e) {
            // leave zero
        }
        return u;
    }

    static String arg(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--" + name) && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith("--" + name + "=")) {
                return args[i].substring(name.length() + 3);
            }
        }
        return fallback;
    }

    static volatile long firstAtNs = 0;
    static volatile long lastAtNs = 0;
    static volatile Usage usageAtDone = null;

    public static void main(String[] args) throws Exception {
        String namesrv = arg(args, "namesrv", "127.0.0.1:9876");
        String topic = arg(args, "topic", "BenchmarkTest");
        String group = arg(args, "group", "benchmark_consumer_java_" + System.currentTimeMillis());
        int threads = Integer.parseInt(arg(args, "threads", "20"));
        long expect = Long.parseLong(arg(args, "expect", "0"));
        int queues = Integer.parseInt(arg(args, "queues", "16"));
        int batch = Integer.parseInt(arg(args, "batch", "32"));
        int consumeBatch = Integer.parseInt(arg(args, "consume-batch", "1"));
        double timeoutS = Double.parseDouble(arg(args, "timeout", "600"));
        double idleS = Double.parseDouble(arg(args, "idle", "60"));

        final SeenSet seen = new SeenSet(expect > 0 ? expect : 1 << 20);
        final Histogram b2c = new Histogram();
        final Histogram s2c = new Histogram();
        final AtomicLong deliveries = new AtomicLong();
        final AtomicLong unique = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong windowB2cSum = new AtomicLong();
        final AtomicLong windowS2cSum = new AtomicLong();
        final AtomicLong windowB2cMax = new AtomicLong();
        final AtomicLong windowS2cMax = new AtomicLong();
        final ReentrantLock lock = new ReentrantLock();
        final Condition doneCondition = lock.newCondition();

        DefaultMQPushConsumer consumer = new DefaultMQPushConsumer(group);
        consumer.setNamesrvAddr(namesrv);
        consumer.setInstanceName("bench_java_" + ProcessHandle.current().pid() + "_" + System.nanoTime());
        consumer.setConsumeThreadMin(threads);
        consumer.setConsumeThreadMax(threads);
        consumer.setPullBatchSize(batch);
        consumer.setConsumeMessageBatchMaxSize(consumeBatch);
        consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
        consumer.subscribe(topic, "*");
        consumer.registerMessageListener((MessageListenerConcurrently) (List<MessageExt> msgs, ConsumeConcurrentlyContext context) -> {
            long now = System.currentTimeMillis();
            for (MessageExt message : msgs) {
                long born = now - message.getBornTimestamp();
                long stored = now - message.getStoreTimestamp();
                deliveries.incrementAndGet();
                windowB2cSum.addAndGet(born);
                windowS2cSum.addAndGet(stored);
                windowB2cMax.accumulateAndGet(born, Math::max);
                windowS2cMax.accumulateAndGet(stored, Math::max);
                if (!seen.add(message.getBrokerName(), message.getQueueId(), message.getQueueOffset())) {
                    continue;
                }
                b2c.record(born);
                s2c.record(stored);
                long at = System.nanoTime();
                if (firstAtNs == 0) {
                    synchronized (BenchConsumer.class) {
                        if (firstAtNs == 0) {
                            firstAtNs = at;
                        }
                    }
                }
                if (unique.incrementAndGet() == expect) {
                    lastAtNs = at;
                    Usage u = usage();
                    lock.lock();
                    try {
                        usageAtDone = u;
                        doneCondition.signalAll();
                    } finally {
                        lock.unlock();
                    }
                }
            }
            return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
        });
        long startedNs = System.nanoTime();
        consumer.start();
        System.out.printf("STARTED group=%s threads=%d batch=%d consume_batch=%d expect=%d%n", group, threads, batch,
            consumeBatch, expect);
        System.out.flush();

        boolean ready = false;
        boolean timedOut = false;
        long lastDeliveries = 0;
        long lastFailed = 0;
        long lastUnique = 0;
        long lastProgressNs = System.nanoTime();
        for (int second = 1; ; second++) {
            lock.lock();
            try {
                long deadline = startedNs + second * 1_000_000_000L;
                while (usageAtDone == null) {
                    long wait = deadline - System.nanoTime();
                    if (wait <= 0) {
                        break;
                    }
                    doneCondition.awaitNanos(wait);
                }
                if (usageAtDone != null) {
                    break;
                }
            } finally {
                lock.unlock();
            }
            int owned = 0;
            for (org.apache.rocketmq.common.message.MessageQueue q
                : consumer.getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().keySet()) {
                if (q.getTopic().equals(topic)) {
                    owned++;
                }
            }
            if (!ready && owned >= queues) {
                ready = true;
                System.out.printf("READY owned_queues=%d%n", owned);
            }
            long d = deliveries.get();
            long delta = d - lastDeliveries;
            long b2cSum = windowB2cSum.getAndSet(0);
            long s2cSum = windowS2cSum.getAndSet(0);
            long f = failed.get();
            System.out.printf(Locale.ROOT,
                "Consume TPS: %d | AVG(B2C) RT(ms): %7.3f | AVG(S2C) RT(ms): %7.3f | MAX(B2C) RT(ms): %d | "
                    + "MAX(S2C) RT(ms): %d | Consume Fail: %d%n",
                delta, delta > 0 ? (double) b2cSum / delta : 0.0, delta > 0 ? (double) s2cSum / delta : 0.0,
                windowB2cMax.getAndSet(0), windowS2cMax.getAndSet(0), f - lastFailed);
            System.out.flush();
            lastDeliveries = d;
            lastFailed = f;
            long u = unique.get();
            long nowNs = System.nanoTime();
            if (u != lastUnique) {
                lastUnique = u;
                lastProgressNs = nowNs;
            }
            double elapsed = (nowNs - startedNs) / 1e9;
            double idle = (nowNs - lastProgressNs) / 1e9;
            if (expect > 0 && (elapsed > timeoutS || (u > 0 && idle > idleS) || (u == 0 && elapsed > idleS + 30))) {
                timedOut = true;
                break;
            }
            if (expect <= 0 && elapsed > timeoutS) {
                break;
            }
        }

        boolean done = usageAtDone != null;
        Usage u = done ? usageAtDone : usage();
        long lastNs = done ? lastAtNs : System.nanoTime();
        long total = unique.get();
        double wall = (lastNs - startedNs) / 1e9;
        double active = firstAtNs > 0 ? (lastNs - firstAtNs) / 1e9 : 0;
        double throughput = active > 0 ? total / active : 0;
        boolean complete = expect <= 0 || total >= expect;
        System.out.printf(Locale.ROOT,
            "Summary: consumed %d of %d (deliveries %d), wall %.2f s (first message after %.2f s), throughput %.0f "
                + "msg/s, CPU %.2f s (user %.2f sys %.2f), peak RSS %.1f MB, B2C p50/p99/p999/max %d/%d/%d/%d ms, "
                + "S2C p50/p99/p999/max %d/%d/%d/%d ms, context switches %d voluntary %d involuntary%s%n",
            total, expect, deliveries.get(), wall, firstAtNs > 0 ? (firstAtNs - startedNs) / 1e9 : 0.0, throughput,
            u.cpuS, u.userS, u.sysS, u.peakRssKb / 1024.0, b2c.percentile(0.5), b2c.percentile(0.99),
            b2c.percentile(0.999), b2c.max.get(), s2c.percentile(0.5), s2c.percentile(0.99), s2c.percentile(0.999),
            s2c.max.get(), u.voluntarySwitches, u.involuntarySwitches, timedOut ? " TIMED OUT" : "");
        String json = String.format(Locale.ROOT,
            "{\"client\":\"java\",\"group\":\"%s\",\"threads\":%d,\"batch\":%d,\"consume_batch\":%d,\"expect\":%d,\"total\":%d,"
                + "\"deliveries\":%d,\"complete\":%d,\"wall_s\":%.6g,\"active_s\":%.6g,\"throughput\":%.6g,"
                + "\"cpu_s\":%.6g,\"cpu_user_s\":%.6g,\"cpu_sys_s\":%.6g,\"peak_rss_kb\":%d,"
                + "\"ctx_voluntary\":%d,\"ctx_involuntary\":%d,"
                + "\"b2c_avg_ms\":%.6g,\"b2c_p50_ms\":%d,\"b2c_p99_ms\":%d,\"b2c_p999_ms\":%d,\"b2c_max_ms\":%d,"
                + "\"s2c_avg_ms\":%.6g,\"s2c_p50_ms\":%d,\"s2c_p99_ms\":%d,\"s2c_p999_ms\":%d,\"s2c_max_ms\":%d,"
                + "\"jvm\":\"%s\"}",
            group, threads, batch, consumeBatch, expect, total, deliveries.get(), complete ? 1 : 0, wall, active,
            throughput, u.cpuS, u.userS, u.sysS, u.peakRssKb, u.voluntarySwitches, u.involuntarySwitches, b2c.mean(), b2c.percentile(0.5), b2c.percentile(0.99),
            b2c.percentile(0.999), b2c.max.get(), s2c.mean(), s2c.percentile(0.5), s2c.percentile(0.99),
            s2c.percentile(0.999), s2c.max.get(),
            String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()).replace("\"", "'"));
        System.out.println("RESULT " + json);
        System.out.flush();
        consumer.shutdown();
        Runtime.getRuntime().halt(complete ? 0 : 1);
    }
}
