package org.rocketmqcpp.interop;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.rocketmq.acl.common.AclClientRPCHook;
import org.apache.rocketmq.acl.common.SessionCredentials;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.store.ReadOffsetType;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.consumer.MessageSelector;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.ConsumeOrderlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.listener.MessageListenerOrderly;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.remoting.RPCHook;
import org.apache.rocketmq.remoting.protocol.RemotingCommand;
import org.apache.rocketmq.remoting.protocol.header.QueryConsumerOffsetRequestHeader;
import org.apache.rocketmq.remoting.protocol.subscription.SubscriptionGroupConfig;
import org.apache.rocketmq.remoting.protocol.heartbeat.MessageModel;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

/**
 * Interop peer for the C++ SDK tests, on the official Apache RocketMQ Java client.
 *
 * <p>stdout carries only JSON objects, one per line; everything else goes to stderr. Exit codes:
 * 0 success, 1 failure, 2 usage error, 3 consume timeout.
 */
public final class Interop {
    static final int EXIT_OK = 0;
    static final int EXIT_FAIL = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_TIMEOUT = 3;

    /** The real stdout; System.out is redirected to stderr so stray library prints can't corrupt it. */
    static final PrintStream OUT =
        new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
    static final Object OUT_LOCK = new Object();

    static final String USAGE = String.join("\n",
        "usage: interop.sh <command> [options]",
        "  create-topic --namesrv ADDR --topic T [--queues 8] [--cluster DefaultCluster] [--order]",
        "  produce      --namesrv ADDR --topic T --count N [--group G] [--tags a,b,c] [--keys-prefix P]",
        "               [--property k=v]... [--body-size 128] [--binary] [--queue-id Q [--broker NAME]]",
        "  consume      --namesrv ADDR --group G --topic T [--expr '*' | --sql 'a > 1'] [--from first|last]",
        "               [--count N] [--timeout-ms 60000] [--idle-ms 0] [--broadcast] [--dedup] [--raw-last]",
        "               [--orderly [--work-ms 0]]   (MessageListenerOrderly; each line also has receivedAt)",
        "  select       --namesrv ADDR --group G --topic T --sql S [--sql S]... [--idle-ms 4000] [--timeout-ms 40000]",
        "               one consumer per selector (groups G-0, G-1, ...) from the first offset, in one process;",
        "               prints {\"sql\":S,\"msgIds\":[...]} per selector once all were idle",
        "  offsets      --namesrv ADDR --group G --topic T",
        "  dump         --namesrv ADDR --topic T",
        "  sign         --secret-key SK --access-key AK [--token T] [--field k=v]... [--body UTF8]",
        "               prints {\"signature\":...} as AclClientRPCHook signs such a request",
        "environment: INTEROP_ACCESS_KEY/INTEROP_SECRET_KEY sign every request (ACL);",
        "  INTEROP_TLS_CA=ca.pem makes interop.sh speak TLS and verify the servers against it",
        "exit: 0 ok, 1 failure, 2 usage, 3 consume timeout");

    static final class UsageException extends RuntimeException {
        UsageException(String m) {
            super(m);
        }
    }

    public static void main(String[] args) {
        System.setOut(System.err);
        int rc;
        try {
            rc = run(args);
        } catch (UsageException e) {
            err("error: " + e.getMessage());
            err(USAGE);
            rc = EXIT_USAGE;
        } catch (Throwable t) {
            err("error: " + t);
            t.printStackTrace(System.err);
            rc = EXIT_FAIL;
        }
        OUT.flush();
        System.err.flush();
        // Client threads may linger (non-daemon); exit explicitly.
        Runtime.getRuntime().halt(rc);
    }

    static int run(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            if (args.length == 0) {
                throw new UsageException("missing command");
            }
            err(USAGE);
            return EXIT_OK;
        }
        String cmd = args[0];
        Opts o = Opts.parse(args, 1);
        switch (cmd) {
            case "create-topic":
                return createTopic(o);
            case "produce":
                return produce(o);
            case "consume":
                return consume(o);
            case "select":
                return select(o);
            case "offsets":
                return offsets(o);
            case "dump":
                return dump(o);
            case "sign":
                return sign(o);
            default:
                throw new UsageException("unknown command: " + cmd);
        }
    }

    // ------------------------------------------------------------------ options

    static final class Opts {
        final Map<String, List<String>> values = new HashMap<>();
        final Set<String> flags = new HashSet<>();
        static final Set<String> FLAG_NAMES = Set.of("order", "binary", "broadcast", "dedup", "raw-last", "orderly");
        static final Set<String> VALUE_NAMES = Set.of("namesrv", "topic", "queues", "cluster", "count", "group",
            "tags", "keys-prefix", "property", "body-size", "queue-id", "broker", "expr", "sql", "from",
            "timeout-ms", "idle-ms", "work-ms", "access-key", "secret-key", "token", "field", "body");

        static Opts parse(String[] a, int from) {
            Opts o = new Opts();
            for (int i = from; i < a.length; i++) {
                String s = a[i];
                if (!s.startsWith("--")) {
                    throw new UsageException("unexpected argument: " + s);
                }
                String name = s.substring(2);
                String val = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    val = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                if (FLAG_NAMES.contains(name)) {
                    if (val != null) {
                        throw new UsageException("--" + name + " takes no value");
                    }
                    o.flags.add(name);
                } else if (VALUE_NAMES.contains(name)) {
                    if (val == null) {
                        if (i + 1 >= a.length) {
                            throw new UsageException("--" + name + " needs a value");
                        }
                        val = a[++i];
                    }
                    o.values.computeIfAbsent(name, k -> new ArrayList<>()).add(val);
                } else {
                    throw new UsageException("unknown option: --" + name);
                }
            }
            return o;
        }

        String get(String name, String def) {
            List<String> v = values.get(name);
            return v == null ? def : v.get(v.size() - 1);
        }

        String req(String name) {
            String v = get(name, null);
            if (v == null) {
                throw new UsageException("--" + name + " is required");
            }
            return v;
        }

        List<String> all(String name) {
            return values.getOrDefault(name, List.of());
        }

        boolean has(String name) {
            return values.containsKey(name);
        }

        boolean flag(String name) {
            return flags.contains(name);
        }

        long num(String name, long def) {
            String v = get(name, null);
            if (v == null) {
                return def;
            }
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--" + name + " needs a number, got: " + v);
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    static void err(String s) {
        System.err.println("[interop] " + s);
        System.err.flush();
    }

    static void emit(Json j) {
        String line = j.toString();
        synchronized (OUT_LOCK) {
            OUT.print(line);
            OUT.print('\n');
            OUT.flush();
        }
    }

    static String instanceName(String kind) {
        return "interop-" + kind + "-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    }

    /** The ACL signing hook from INTEROP_ACCESS_KEY / INTEROP_SECRET_KEY, or null. */
    static RPCHook aclHook() {
        String ak = System.getenv("INTEROP_ACCESS_KEY");
        String sk = System.getenv("INTEROP_SECRET_KEY");
        if (ak == null || ak.isEmpty() || sk == null) {
            return null;
        }
        return new AclClientRPCHook(new SessionCredentials(ak, sk));
    }

    /** The oracle of the C++ signing unit test: the Java client's signature of one request. */
    static int sign(Opts o) {
        RemotingCommand request = RemotingCommand.createRequestCommand(310, null);
        for (String kv : o.all("field")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--field needs k=v, got: " + kv);
            }
            request.addExtField(kv.substring(0, eq), kv.substring(eq + 1));
        }
        if (o.has("body")) {
            request.setBody(o.get("body", "").getBytes(StandardCharsets.UTF_8));
        }
        String token = o.get("token", null);
        SessionCredentials credentials = token == null
            ? new SessionCredentials(o.req("access-key"), o.req("secret-key"))
            : new SessionCredentials(o.req("access-key"), o.req("secret-key"), token);
        new AclClientRPCHook(credentials).doBeforeRequest("127.0.0.1:10911", request);
        emit(new Json().put("signature", request.getExtFields().get("Signature")));
        return EXIT_OK;
    }

    static DefaultMQAdminExt startAdmin(String namesrv) throws Exception {
        DefaultMQAdminExt admin = new DefaultMQAdminExt(aclHook(), 10000);
        admin.setNamesrvAddr(namesrv);
        admin.setInstanceName(instanceName("admin"));
        admin.setVipChannelEnabled(false);
        admin.setAdminExtGroup("interop_admin_" + ProcessHandle.current().pid() + "_" + System.nanoTime());
        admin.start();
        return admin;
    }

    /** Master address per broker name from the topic route. */
    static TreeMap<String, String> masterAddrs(DefaultMQAdminExt admin, String topic) throws Exception {
        TreeMap<String, String> m = new TreeMap<>();
        for (var bd : admin.examineTopicRouteInfo(topic).getBrokerDatas()) {
            String addr = bd.getBrokerAddrs().get(0L);
            if (addr != null) {
                m.put(bd.getBrokerName(), addr);
            }
        }
        return m;
    }

    /** The group's committed offset of a queue, or -1 when the broker has none (no zero-if-not-found). */
    static long committedOffset(DefaultMQAdminExt admin, String addr, String group, MessageQueue mq)
        throws Exception {
        QueryConsumerOffsetRequestHeader h = new QueryConsumerOffsetRequestHeader();
        h.setConsumerGroup(group);
        h.setTopic(mq.getTopic());
        h.setQueueId(mq.getQueueId());
        h.setSetZeroIfNotFound(false);
        try {
            return admin.getDefaultMQAdminExtImpl().getMqClientInstance().getMQClientAPIImpl()
                .queryConsumerOffset(addr, h, 10_000);
        } catch (MQBrokerException e) {
            if (e.getResponseCode() == 22) { // QUERY_NOT_FOUND
                return -1;
            }
            throw e;
        }
    }

    /**
     * For --from last with a group that has no committed offset on a queue, commit the queue's max
     * offset before starting. Without this the broker answers a new group's offset query with 0 while
     * the queue's messages are still in memory, and CONSUME_FROM_LAST_OFFSET then starts at the beginning.
     */
    static void seedLastOffsets(String namesrv, String group, String topic) throws Exception {
        DefaultMQAdminExt admin = startAdmin(namesrv);
        try {
            TreeMap<String, String> masters;
            try {
                masters = masterAddrs(admin, topic);
            } catch (Exception e) {
                err("seed: no route for " + topic + " (" + e.getMessage() + "); not seeding");
                return;
            }
            var route = admin.examineTopicRouteInfo(topic);
            int seeded = 0;
            for (var qd : route.getQueueDatas()) {
                String addr = masters.get(qd.getBrokerName());
                if (addr == null) {
                    continue;
                }
                if (!subscriptionGroupExists(admin, addr, group)) {
                    SubscriptionGroupConfig c = new SubscriptionGroupConfig();
                    c.setGroupName(group);
                    admin.createAndUpdateSubscriptionGroupConfig(addr, c);
                }
                for (int q = 0; q < qd.getReadQueueNums(); q++) {
                    MessageQueue mq = new MessageQueue(topic, qd.getBrokerName(), q);
                    if (committedOffset(admin, addr, group, mq) < 0) {
                        long max = admin.maxOffset(mq);
                        admin.updateConsumeOffset(addr, group, mq, max);
                        seeded++;
                    }
                }
            }
            err("seed: committed max offsets for " + seeded + " queue(s) without an offset of group " + group);
        } finally {
            admin.shutdown();
        }
    }

    static boolean subscriptionGroupExists(DefaultMQAdminExt admin, String addr, String group) {
        try {
            return admin.examineSubscriptionGroupConfig(addr, group) != null;
        } catch (Exception e) {
            return false;
        }
    }

    static String sha256Hex(byte[] b) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(b == null ? new byte[0] : b);
            StringBuilder sb = new StringBuilder(64);
            for (byte x : d) {
                sb.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
            }
            return sb.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deterministic body for message i. */
    static byte[] body(int i, int size, boolean binary) {
        byte[] b = new byte[size];
        if (binary) {
            // Each full 256-byte block is a seeded shuffle of 0..255, so every byte value occurs.
            Random r = new Random(0x5EEDL * 1_000_003L + i);
            int[] perm = new int[256];
            for (int off = 0; off < size; off += 256) {
                for (int k = 0; k < 256; k++) {
                    perm[k] = k;
                }
                for (int k = 255; k > 0; k--) {
                    int j = r.nextInt(k + 1);
                    int t = perm[k];
                    perm[k] = perm[j];
                    perm[j] = t;
                }
                for (int k = 0; k < 256 && off + k < size; k++) {
                    b[off + k] = (byte) perm[k];
                }
            }
        } else {
            byte[] prefix = ("msg-" + i + "-").getBytes(StandardCharsets.US_ASCII);
            for (int k = 0; k < size; k++) {
                b[k] = k < prefix.length ? prefix[k] : (byte) ('a' + (k + i) % 26);
            }
        }
        return b;
    }

    // ------------------------------------------------------------------ create-topic

    static int createTopic(Opts o) throws Exception {
        String namesrv = o.req("namesrv");
        String topic = o.req("topic");
        int queues = (int) o.num("queues", 8);
        String cluster = o.get("cluster", "DefaultCluster");
        boolean order = o.flag("order");
        if (queues <= 0) {
            throw new UsageException("--queues must be positive");
        }
        DefaultMQAdminExt admin = startAdmin(namesrv);
        try {
            var info = admin.examineBrokerClusterInfo();
            Map<String, Set<String>> clusters = info.getClusterAddrTable();
            Set<String> names = clusters == null ? null : clusters.get(cluster);
            if (names == null || names.isEmpty()) {
                throw new IllegalStateException("cluster " + cluster + " not found at " + namesrv + "; known: "
                    + (clusters == null ? "[]" : clusters.keySet()));
            }
            TreeMap<String, String> masters = new TreeMap<>();
            for (String name : names) {
                var bd = info.getBrokerAddrTable().get(name);
                String addr = bd == null ? null : bd.getBrokerAddrs().get(0L);
                if (addr == null) {
                    err("broker " + name + " has no master; skipped");
                    continue;
                }
                masters.put(name, addr);
            }
            if (masters.isEmpty()) {
                throw new IllegalStateException("cluster " + cluster + " has no master broker");
            }
            for (Map.Entry<String, String> m : masters.entrySet()) {
                TopicConfig tc = new TopicConfig(topic);
                tc.setReadQueueNums(queues);
                tc.setWriteQueueNums(queues);
                tc.setPerm(6);
                tc.setOrder(order);
                admin.createAndUpdateTopicConfig(m.getValue(), tc);
                err("topic " + topic + " created/updated on " + m.getKey() + " (" + m.getValue() + ")");
            }
            if (order) {
                StringBuilder conf = new StringBuilder();
                for (String name : masters.keySet()) {
                    if (conf.length() > 0) {
                        conf.append(';');
                    }
                    conf.append(name).append(':').append(queues);
                }
                admin.createOrUpdateOrderConf(topic, conf.toString(), true);
            }
            long deadline = System.currentTimeMillis() + 30_000;
            String last = "no route";
            while (true) {
                try {
                    var route = admin.examineTopicRouteInfo(topic);
                    Map<String, Integer> seen = new HashMap<>();
                    for (var qd : route.getQueueDatas()) {
                        if (qd.getReadQueueNums() == queues && qd.getWriteQueueNums() == queues) {
                            seen.put(qd.getBrokerName(), queues);
                        }
                    }
                    if (seen.keySet().containsAll(masters.keySet())) {
                        break;
                    }
                    last = "route has " + seen.keySet() + " with " + queues + " queues, want " + masters.keySet();
                } catch (Exception e) {
                    last = e.getMessage();
                }
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("route of " + topic + " not ready after 30 s: " + last);
                }
                Thread.sleep(200);
            }
            emit(new Json().put("topic", topic).putStrings("brokers", masters.keySet()).put("queues", queues));
            return EXIT_OK;
        } finally {
            admin.shutdown();
        }
    }

    // ------------------------------------------------------------------ produce

    static int produce(Opts o) throws Exception {
        String namesrv = o.req("namesrv");
        String topic = o.req("topic");
        long count = o.num("count", -1);
        if (count < 0) {
            throw new UsageException("--count is required");
        }
        String group = o.get("group", "interop_producer");
        String[] tags = o.has("tags") ? o.get("tags", "").split(",", -1) : null;
        String keysPrefix = o.get("keys-prefix", null);
        int bodySize = (int) o.num("body-size", 128);
        boolean binary = o.flag("binary");
        LinkedHashMap<String, String> props = new LinkedHashMap<>();
        for (String p : o.all("property")) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--property needs k=v, got: " + p);
            }
            props.put(p.substring(0, eq), p.substring(eq + 1));
        }
        if (bodySize < 0) {
            throw new UsageException("--body-size must be >= 0");
        }

        DefaultMQProducer producer = new DefaultMQProducer(group, aclHook());
        producer.setNamesrvAddr(namesrv);
        producer.setInstanceName(instanceName("producer"));
        producer.setVipChannelEnabled(false);
        // Generous deadlines: the peer runs beside sanitizer builds on a 2-core machine.
        producer.setSendMsgTimeout(30_000);
        producer.setMqClientApiTimeout(15_000);
        producer.setRetryTimesWhenSendFailed(2);
        producer.start();
        try {
            MessageQueue target = null;
            if (o.has("queue-id")) {
                int qid = (int) o.num("queue-id", 0);
                String broker = o.get("broker", null);
                List<MessageQueue> mqs = producer.fetchPublishMessageQueues(topic);
                if (mqs.isEmpty()) {
                    throw new IllegalStateException("no publishable queues for " + topic);
                }
                if (broker == null) {
                    broker = mqs.get(0).getBrokerName();
                }
                for (MessageQueue mq : mqs) {
                    if (mq.getBrokerName().equals(broker) && mq.getQueueId() == qid) {
                        target = mq;
                    }
                }
                if (target == null) {
                    throw new IllegalStateException("queue " + broker + "/" + qid + " not in route of " + topic
                        + ": " + mqs);
                }
                err("sending to " + target);
            } else if (o.has("broker")) {
                throw new UsageException("--broker needs --queue-id");
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < count; i++) {
                byte[] b = body(i, bodySize, binary);
                Message msg = new Message(topic, b);
                String tag = null;
                if (tags != null && tags.length > 0) {
                    tag = tags[i % tags.length];
                    if (tag.isEmpty()) {
                        tag = null;
                    } else {
                        msg.setTags(tag);
                    }
                }
                String keys = keysPrefix == null ? null : keysPrefix + i;
                if (keys != null) {
                    msg.setKeys(keys);
                }
                for (Map.Entry<String, String> p : props.entrySet()) {
                    msg.putUserProperty(p.getKey(), p.getValue());
                }
                SendResult r = target == null ? producer.send(msg) : producer.send(msg, target);
                MessageQueue mq = r.getMessageQueue();
                emit(new Json()
                    .put("index", i)
                    .put("msgId", r.getMsgId())
                    .put("offsetMsgId", r.getOffsetMsgId())
                    .put("topic", mq.getTopic())
                    .put("brokerName", mq.getBrokerName())
                    .put("queueId", mq.getQueueId())
                    .put("queueOffset", r.getQueueOffset())
                    .put("sendStatus", String.valueOf(r.getSendStatus()))
                    .put("tags", tag)
                    .put("keys", keys)
                    .put("bodySize", b.length)
                    .put("bodySha256", sha256Hex(b)));
            }
            err(String.format("produced %d messages to %s in %d ms", count, topic,
                (System.nanoTime() - t0) / 1_000_000));
            return EXIT_OK;
        } finally {
            producer.shutdown();
        }
    }

    // ------------------------------------------------------------------ consume

    static int consume(Opts o) throws Exception {
        String namesrv = o.req("namesrv");
        String group = o.req("group");
        String topic = o.req("topic");
        String expr = o.get("expr", "*");
        String sql = o.get("sql", null);
        String from = o.get("from", "first");
        long count = o.num("count", -1);
        long timeoutMs = o.num("timeout-ms", 60_000);
        long idleMs = o.num("idle-ms", 0);
        boolean broadcast = o.flag("broadcast");
        boolean dedup = o.flag("dedup");
        boolean orderly = o.flag("orderly");
        long workMs = o.num("work-ms", 0);
        if (sql != null && o.has("expr")) {
            throw new UsageException("--expr and --sql are exclusive");
        }
        ConsumeFromWhere where;
        switch (from) {
            case "first":
                where = ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET;
                break;
            case "last":
                where = ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET;
                break;
            default:
                throw new UsageException("--from must be first or last");
        }

        final AtomicInteger printed = new AtomicInteger();
        final AtomicInteger duplicates = new AtomicInteger();
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicLong lastArrival = new AtomicLong(0);
        final CountDownLatch done = new CountDownLatch(1);
        final Set<String> seenIds = new HashSet<>();
        final Object parkForever = new Object();

        DefaultMQPushConsumer consumer = aclHook() == null ? new DefaultMQPushConsumer(group)
            : new DefaultMQPushConsumer(group, aclHook(), new AllocateMessageQueueAveragely());
        consumer.setNamesrvAddr(namesrv);
        consumer.setInstanceName(instanceName("consumer"));
        consumer.setVipChannelEnabled(false);
        consumer.setConsumeFromWhere(where);
        consumer.setMqClientApiTimeout(15_000);
        consumer.setMessageModel(broadcast ? MessageModel.BROADCASTING : MessageModel.CLUSTERING);
        consumer.setConsumeMessageBatchMaxSize(1);
        if (sql != null) {
            consumer.subscribe(topic, MessageSelector.bySql(sql));
        } else {
            consumer.subscribe(topic, expr);
        }
        // Prints the batch; true when the listener must park (beyond --count).
        final java.util.function.Predicate<List<MessageExt>> handle = msgs -> {
            inFlight.incrementAndGet();
            boolean park = false;
            try {
                for (MessageExt m : msgs) {
                    synchronized (OUT_LOCK) {
                        if (count >= 0 && printed.get() >= count) {
                            // Beyond --count: leave it unacknowledged so its offset is not committed.
                            park = true;
                            break;
                        }
                        if (dedup && !seenIds.add(m.getMsgId())) {
                            duplicates.incrementAndGet();
                            continue;
                        }
                        Json line = messageJson(m);
                        if (orderly) {
                            line.put("receivedAt", System.currentTimeMillis());
                            line.put("body", new String(m.getBody(), StandardCharsets.UTF_8));
                        }
                        emit(line);
                        lastArrival.set(System.nanoTime());
                        if (printed.incrementAndGet() == count) {
                            done.countDown();
                        }
                    }
                }
                if (workMs > 0 && !park) {
                    try {
                        Thread.sleep(workMs);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            } finally {
                inFlight.decrementAndGet();
            }
            return park;
        };
        final Runnable parkNow = () -> {
            // Never return: any status would either commit the offset (SUCCESS) or send the message
            // back to the retry topic (RECONSUME_LATER), and shutdown interrupts consume threads.
            // The process halts after shutdown, leaving the message uncommitted for the next run.
            synchronized (parkForever) {
                while (true) {
                    try {
                        parkForever.wait();
                    } catch (InterruptedException ignored) {
                        // keep parking
                    }
                }
            }
        };
        if (orderly) {
            consumer.registerMessageListener((MessageListenerOrderly) (msgs, ctx) -> {
                if (handle.test(msgs)) {
                    parkNow.run();
                }
                return ConsumeOrderlyStatus.SUCCESS;
            });
        } else {
            consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                if (handle.test(msgs)) {
                    parkNow.run();
                }
                return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
            });
        }

        if (where == ConsumeFromWhere.CONSUME_FROM_LAST_OFFSET && !broadcast && !o.flag("raw-last")) {
            seedLastOffsets(namesrv, group, topic);
        }
        long t0 = System.nanoTime();
        consumer.start();
        err("consumer " + group + " started on " + topic + (sql != null ? " sql=" + sql : " expr=" + expr)
            + " from=" + from + (broadcast ? " broadcast" : "") + (orderly ? " orderly" : ""));
        int rc;
        String reason;
        long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        try {
            while (true) {
                if (done.await(50, TimeUnit.MILLISECONDS)) {
                    rc = EXIT_OK;
                    reason = "count reached";
                    break;
                }
                long now = System.nanoTime();
                long last = lastArrival.get();
                if (idleMs > 0 && last != 0 && now - last >= TimeUnit.MILLISECONDS.toNanos(idleMs)) {
                    rc = EXIT_OK;
                    reason = "idle for " + idleMs + " ms";
                    break;
                }
                if (now >= deadline) {
                    if (count >= 0) {
                        rc = EXIT_TIMEOUT;
                        reason = "timeout";
                        err("timeout: got " + printed.get() + " of " + count);
                    } else {
                        rc = EXIT_OK;
                        reason = "timeout (no --count)";
                    }
                    break;
                }
            }
            // Let the listener calls that printed return, so their offsets are updated before the
            // shutdown persists them.
            long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (inFlight.get() > 0 && System.nanoTime() < settle) {
                Thread.sleep(10);
            }
            Thread.sleep(100);
        } finally {
            consumer.shutdown();
        }
        err(String.format("consume summary: group=%s topic=%s printed=%d%s reason=%s elapsed=%d ms exit=%d",
            group, topic, printed.get(), dedup ? " duplicatesSkipped=" + duplicates.get() : "", reason,
            (System.nanoTime() - t0) / 1_000_000, rc));
        return rc;
    }

    // ------------------------------------------------------------------ select

    /** What the broker's SQL92 filter lets through, for many selectors at once (one JVM start, not one each). */
    static int select(Opts o) throws Exception {
        String namesrv = o.req("namesrv");
        String group = o.req("group");
        String topic = o.req("topic");
        List<String> sqls = o.all("sql");
        if (sqls.isEmpty()) {
            throw new UsageException("select needs at least one --sql");
        }
        long idleMs = o.num("idle-ms", 4000);
        long timeoutMs = o.num("timeout-ms", 40_000);
        final AtomicLong lastArrival = new AtomicLong(System.nanoTime());
        List<Set<String>> chosen = new ArrayList<>();
        List<DefaultMQPushConsumer> consumers = new ArrayList<>();
        try {
            for (int i = 0; i < sqls.size(); i++) {
                final Set<String> ids = java.util.Collections.synchronizedSet(new java.util.TreeSet<>());
                chosen.add(ids);
                DefaultMQPushConsumer consumer = aclHook() == null ? new DefaultMQPushConsumer(group + "-" + i)
                    : new DefaultMQPushConsumer(group + "-" + i, aclHook(), new AllocateMessageQueueAveragely());
                consumer.setNamesrvAddr(namesrv);
                consumer.setInstanceName(instanceName("select-" + i));
                consumer.setVipChannelEnabled(false);
                consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
                consumer.setMqClientApiTimeout(15_000);
                consumer.subscribe(topic, MessageSelector.bySql(sqls.get(i)));
                consumer.registerMessageListener((MessageListenerConcurrently) (msgs, ctx) -> {
                    for (MessageExt m : msgs) {
                        ids.add(m.getMsgId());
                    }
                    lastArrival.set(System.nanoTime());
                    return ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
                });
                consumer.start();
                consumers.add(consumer);
            }
            err("select: " + sqls.size() + " consumers started on " + topic);
            // Done when every consumer's progress on every queue reached the queue's end: the broker
            // has filtered everything for it (filtered-out messages move the offset too), then idle.
            Map<MessageQueue, Long> ends = new HashMap<>();
            for (MessageQueue mq : consumers.get(0).fetchSubscribeMessageQueues(topic)) {
                ends.put(mq, consumers.get(0).maxOffset(mq));
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (System.nanoTime() < deadline) {
                boolean through = true;
                for (DefaultMQPushConsumer consumer : consumers) {
                    for (Map.Entry<MessageQueue, Long> end : ends.entrySet()) {
                        long at = consumer.getDefaultMQPushConsumerImpl().getOffsetStore()
                            .readOffset(end.getKey(), ReadOffsetType.READ_FROM_MEMORY);
                        through &= end.getValue() == 0 || at >= end.getValue();
                    }
                }
                if (through && System.nanoTime() - lastArrival.get() >= TimeUnit.MILLISECONDS.toNanos(idleMs)) {
                    break;
                }
                Thread.sleep(50);
            }
            if (System.nanoTime() >= deadline) {
                err("select: timeout before every selector was through " + topic);
                return EXIT_TIMEOUT;
            }
        } finally {
            for (DefaultMQPushConsumer consumer : consumers) {
                consumer.shutdown();
            }
        }
        for (int i = 0; i < sqls.size(); i++) {
            synchronized (chosen.get(i)) {
                emit(new Json().put("sql", sqls.get(i)).putStrings("msgIds", new ArrayList<>(chosen.get(i))));
            }
        }
        return EXIT_OK;
    }

    static Json messageJson(MessageExt m) {
        Json props = new Json();
        Map<String, String> p = m.getProperties();
        if (p != null) {
            for (Map.Entry<String, String> e : new TreeMap<>(p).entrySet()) {
                props.put(e.getKey(), e.getValue());
            }
        }
        byte[] b = m.getBody();
        String brokerName = m.getBrokerName();
        return new Json()
            .put("msgId", m.getMsgId())
            .put("offsetMsgId", offsetMsgId(m))
            .put("topic", m.getTopic())
            .put("tags", m.getTags())
            .put("keys", m.getKeys())
            .putRaw("properties", props.toString())
            .put("bodySize", b == null ? 0 : b.length)
            .put("bodySha256", sha256Hex(b))
            .put("brokerName", brokerName)
            .put("queueId", m.getQueueId())
            .put("queueOffset", m.getQueueOffset())
            .put("reconsumeTimes", m.getReconsumeTimes())
            .put("bornTimestamp", m.getBornTimestamp())
            .put("storeTimestamp", m.getStoreTimestamp());
    }

    static String offsetMsgId(MessageExt m) {
        // MessageClientExt.getOffsetMsgId() exists for pushed messages; fall back to the stored id.
        try {
            Object v = m.getClass().getMethod("getOffsetMsgId").invoke(m);
            if (v != null) {
                return v.toString();
            }
        } catch (ReflectiveOperationException ignored) {
            // not a MessageClientExt
        }
        return m.getMsgId();
    }

    // ------------------------------------------------------------------ offsets

    static int offsets(Opts o) throws Exception {
        String namesrv = o.req("namesrv");
        String group = o.req("group");
        String topic = o.req("topic");
        DefaultMQAdminExt admin = startAdmin(namesrv);
        try {
            Comparator<MessageQueue> order =
                Comparator.comparing(MessageQueue::getBrokerName).thenComparingInt(MessageQueue::getQueueId);
            TreeMap<MessageQueue, long[]> rows = new TreeMap<>(order);
            boolean perQueue = false;
            try {
                var stats = admin.examineConsumeStats(group, topic);
                for (var e : stats.getOffsetTable().entrySet()) {
                    if (topic.equals(e.getKey().getTopic())) {
                        rows.put(e.getKey(), new long[] {e.getValue().getBrokerOffset(),
                            e.getValue().getConsumerOffset()});
                    }
                }
            } catch (MQBrokerException e) {
                // This 5.x client builds consume and topic stats on GET_TOPIC_CONFIG (351), which a
                // 4.9 broker answers with REQUEST_CODE_NOT_SUPPORTED (3): ask per queue instead.
                perQueue = e.getResponseCode() == 3;
                err("no consume stats for group " + group + " on " + topic + ": " + e.getMessage());
            } catch (Exception e) {
                err("no consume stats for group " + group + " on " + topic + ": " + e.getMessage());
            }
            if (perQueue) {
                TreeMap<String, String> masters = masterAddrs(admin, topic);
                for (var qd : admin.examineTopicRouteInfo(topic).getQueueDatas()) {
                    String addr = masters.get(qd.getBrokerName());
                    if (addr == null) {
                        continue;
                    }
                    for (int q = 0; q < qd.getReadQueueNums(); q++) {
                        MessageQueue mq = new MessageQueue(topic, qd.getBrokerName(), q);
                        rows.put(mq, new long[] {admin.maxOffset(mq), committedOffset(admin, addr, group, mq)});
                    }
                }
            } else if (!rows.isEmpty()) {
                // Consume stats report 0 for queues without a committed offset; tell them apart.
                TreeMap<String, String> masters = masterAddrs(admin, topic);
                boolean any = false;
                for (Map.Entry<MessageQueue, long[]> e : rows.entrySet()) {
                    String addr = masters.get(e.getKey().getBrokerName());
                    if (e.getValue()[1] == 0 && addr != null) {
                        e.getValue()[1] = committedOffset(admin, addr, group, e.getKey());
                    }
                    any |= e.getValue()[1] >= 0;
                }
                if (!any) {
                    rows.clear();
                }
            }
            if (rows.isEmpty()) {
                var ts = admin.examineTopicStats(topic);
                for (var e : ts.getOffsetTable().entrySet()) {
                    rows.put(e.getKey(), new long[] {e.getValue().getMaxOffset(), -1});
                }
            }
            for (Map.Entry<MessageQueue, long[]> e : rows.entrySet()) {
                long broker = e.getValue()[0];
                long consumer = e.getValue()[1];
                emit(new Json()
                    .put("brokerName", e.getKey().getBrokerName())
                    .put("queueId", e.getKey().getQueueId())
                    .put("brokerOffset", broker)
                    .put("consumerOffset", consumer)
                    .put("diff", broker - Math.max(consumer, 0)));
            }
            return EXIT_OK;
        } finally {
            admin.shutdown();
        }
    }

    // ------------------------------------------------------------------ dump

    static int dump(Opts o) throws Exception {
        String namesrv = o.req("namesrv");
        String topic = o.req("topic");
        DefaultMQAdminExt admin = startAdmin(namesrv);
        try {
            var route = admin.examineTopicRouteInfo(topic);
            TreeMap<String, Json> brokers = new TreeMap<>();
            for (var bd : route.getBrokerDatas()) {
                Json addrs = new Json();
                for (var a : new TreeMap<>(bd.getBrokerAddrs()).entrySet()) {
                    addrs.put(String.valueOf(a.getKey()), a.getValue());
                }
                brokers.put(bd.getBrokerName(), new Json()
                    .put("brokerName", bd.getBrokerName())
                    .put("cluster", bd.getCluster())
                    .putRaw("addrs", addrs.toString()));
            }
            for (var qd : route.getQueueDatas()) {
                Json j = brokers.computeIfAbsent(qd.getBrokerName(), n -> new Json().put("brokerName", n));
                j.put("readQueueNums", qd.getReadQueueNums())
                    .put("writeQueueNums", qd.getWriteQueueNums())
                    .put("perm", qd.getPerm())
                    .put("topicSysFlag", qd.getTopicSysFlag());
            }
            List<String> parts = new ArrayList<>();
            for (Json j : brokers.values()) {
                parts.add(j.toString());
            }
            emit(new Json()
                .put("topic", topic)
                .putRaw("brokers", "[" + String.join(",", parts) + "]")
                .put("orderTopicConf", route.getOrderTopicConf()));
            return EXIT_OK;
        } finally {
            admin.shutdown();
        }
    }

    // ------------------------------------------------------------------ JSON

    /** Minimal ordered JSON object writer; non-ASCII is escaped so output is pure ASCII. */
    static final class Json {
        private final LinkedHashMap<String, String> fields = new LinkedHashMap<>();

        Json put(String k, String v) {
            fields.put(k, v == null ? "null" : quote(v));
            return this;
        }

        Json put(String k, long v) {
            fields.put(k, Long.toString(v));
            return this;
        }

        Json putRaw(String k, String rawJson) {
            fields.put(k, rawJson);
            return this;
        }

        Json putStrings(String k, Collection<String> vs) {
            StringBuilder sb = new StringBuilder("[");
            for (String v : vs) {
                if (sb.length() > 1) {
                    sb.append(',');
                }
                sb.append(v == null ? "null" : quote(v));
            }
            fields.put(k, sb.append(']').toString());
            return this;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<String, String> e : fields.entrySet()) {
                if (sb.length() > 1) {
                    sb.append(',');
                }
                sb.append(quote(e.getKey())).append(':').append(e.getValue());
            }
            return sb.append('}').toString();
        }

        static String quote(String s) {
            StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"':
                        sb.append("\\\"");
                        break;
                    case '\\':
                        sb.append("\\\\");
                        break;
                    case '\n':
                        sb.append("\\n");
                        break;
                    case '\r':
                        sb.append("\\r");
                        break;
                    case '\t':
                        sb.append("\\t");
                        break;
                    case '\b':
                        sb.append("\\b");
                        break;
                    case '\f':
                        sb.append("\\f");
                        break;
                    default:
                        if (c < 0x20 || c >= 0x7f) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                }
            }
            return sb.append('"').toString();
        }
    }

    private Interop() {
    }
}
