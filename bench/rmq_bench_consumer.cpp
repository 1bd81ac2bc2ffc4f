// Push-consumer benchmark in the shape of the Java distribution's `Consumer` benchmark, on the
// public API only, with a no-op listener:
//
//   rmq_bench_consumer --namesrv 127.0.0.1:9876 --topic T [--group G] [--threads 20]
//                      [--expect N] [--queues 16] [--batch 32] [--consume-batch 1] [--timeout 600]
//                      [--idle 60] [--shared-seen FILE]
//                      [--tls-ca ca.pem] [--access-key AK --secret-key SK]   (a secured cluster)
//
// Each second: "Consume TPS: N | AVG(B2C) RT(ms): X | AVG(S2C) RT(ms): X | MAX(B2C) RT(ms): N |
// MAX(S2C) RT(ms): N | Consume Fail: N" (B2C: consume time - born timestamp, S2C: consume time -
// store timestamp, both wall-clock milliseconds as the Java tool measures them).
// "READY owned_queues=N" once the consumer owns --queues queues (the fixed-rate run waits for it).
// With --expect N the run ends when N distinct messages (broker, queue, offset) have been consumed;
// it fails (exit 1) when --timeout seconds pass, or --idle seconds pass without a new message.
// At the end a summary and one "RESULT {json}" line (figures taken when the Nth message was
// consumed, before shutdown): total, wall time from start() and active time from the first to the
// last message, throughput = total / active time, CPU seconds (getrusage, user + sys), peak RSS
// (ru_maxrss), voluntary / involuntary context switches (ru_nvcsw / ru_nivcsw) and B2C / S2C
// latency p50 / p99 / p999 / max. --batch is the pull batch size, --consume-batch the listener's
// consume_batch_size.
// --shared-seen FILE: the exactly-once set lives in FILE, shared with the other consumer of a pair
// in the same group (compare.sh --pair): the run ends when the two together have N distinct
// messages; total / throughput are then the pair's (first message of either to the Nth of both),
// own_total this process's share, CPU / RSS this process's.
#include <rocketmq/rocketmq.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>

#include "bench_util.h"

namespace {

struct Counters {
  explicit Counters(std::int64_t expect) : seen(expect > 0 ? expect : 1 << 20), expect(expect) {}

  bench::SeenSet seen;
  const std::int64_t expect;
  std::atomic<std::int64_t> deliveries{0};
  std::atomic<std::int64_t> unique{0};
  std::atomic<std::int64_t> failed{0};
  // Per-second window (the Java tool's counters).
  std::atomic<std::int64_t> window_b2c_sum{0};
  std::atomic<std::int64_t> window_s2c_sum{0};
  std::atomic<std::int64_t> window_b2c_max{0};
  std::atomic<std::int64_t> window_s2c_max{0};
  bench::Histogram b2c;
  bench::Histogram s2c;
  std::atomic<double> first_at{0};
  std::atomic<double> last_at{0};
  // Snapshot taken by the thread that consumed the last expected message.
  std::mutex done_mutex;
  std::condition_variable done_cv;
  bool done = false;
  bench::ProcessUsage usage_at_done;
};

void raise_max(std::atomic<std::int64_t>& slot, std::int64_t value) {
  std::int64_t seen = slot.load(std::memory_order_relaxed);
  while (value > seen && !slot.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

class NoopListener : public rocketmq::MessageListenerConcurrently {
 public:
  explicit NoopListener(Counters& counters) : c_(counters) {}

  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    const std::int64_t now = bench::wall_millis();
    for (const auto& message : messages) {
      const std::int64_t b2c = now - message.get_born_timestamp();
      const std::int64_t s2c = now - message.get_store_timestamp();
      c_.deliveries.fetch_add(1, std::memory_order_relaxed);
      c_.window_b2c_sum.fetch_add(b2c, std::memory_order_relaxed);
      c_.window_s2c_sum.fetch_add(s2c, std::memory_order_relaxed);
      raise_max(c_.window_b2c_max, b2c);
      raise_max(c_.window_s2c_max, s2c);
      if (!c_.seen.add(message.get_broker_name(), message.get_queue_id(), message.get_queue_offset())) continue;
      c_.b2c.record(b2c);
      c_.s2c.record(s2c);
      const double at = bench::mono_seconds();
      double expected_zero = 0;
      c_.first_at.compare_exchange_strong(expected_zero, at);
      const std::int64_t own = c_.unique.fetch_add(1, std::memory_order_relaxed) + 1;
      const std::int64_t unique = c_.seen.shared() ? c_.seen.shared_count_new(c_.expect) : own;
      if (unique == c_.expect) {
        c_.last_at.store(at);
        std::lock_guard<std::mutex> lock(c_.done_mutex);
        c_.usage_at_done = bench::process_usage();
        c_.done = true;
        c_.done_cv.notify_all();
      }
    }
    return rocketmq::ConsumeResult::Success;
  }

 private:
  Counters& c_;
};

}  // namespace

int main(int argc, char** argv) {
  bench::Args args(argc, argv);
  const std::string name_server = args.get("namesrv", "127.0.0.1:9876");
  const std::string topic = args.get("topic", "BenchmarkTest");
  const std::string group = args.get("group", "benchmark_consumer_" + std::to_string(bench::wall_millis()));
  const int threads = static_cast<int>(args.get_int("threads", 20));
  const std::int64_t expect = args.get_int("expect", 0);
  const int queues = static_cast<int>(args.get_int("queues", 16));
  const int batch = static_cast<int>(args.get_int("batch", 32));
  const int consume_batch = static_cast<int>(args.get_int("consume-batch", 1));
  const double timeout_s = args.get_double("timeout", 600);
  const double idle_s = args.get_double("idle", 60);
  if (args.has("help") || threads < 1 || consume_batch < 1) {
    std::fprintf(stderr,
                 "usage: %s --namesrv ADDR --topic T [--group G] [--threads 20] [--expect N] [--queues 16]"
                 " [--batch 32] [--consume-batch 1] [--timeout 600] [--idle 60] [--tls-ca FILE]"
                 " [--access-key AK --secret-key SK]\n",
                 argv[0]);
    return 2;
  }

  Counters counters(expect);
  const std::string shared_seen = args.get("shared-seen", "");
  if (!shared_seen.empty() && !counters.seen.share(shared_seen)) {
    std::perror(("cannot map --shared-seen " + shared_seen).c_str());
    return 2;
  }
  rocketmq::ConsumerOption option;
  try {
    option.set_name_server_addr(name_server);
    option.set_group_name(group);
    option.set_consume_thread_min(threads);
    option.set_consume_thread_max(threads);
    option.set_pull_batch_size(batch);
    option.set_consume_batch_size(consume_batch);
    option.set_consume_from_where(rocketmq::ConsumeFromWhere::ConsumeFromFirstOffset);
    option.set_instance_name("bench_" + std::to_string(getpid()) + "_" + std::to_string(bench::wall_millis()));
    bench::apply_security_flags(args, option);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bad option: %s\n", error.what());
    return 2;
  }
  rocketmq::PushConsumer consumer(option);
  const double started = bench::mono_seconds();
  try {
    consumer.subscribe(topic, "*");
    consumer.register_message_listener(std::make_unique<NoopListener>(counters));
    consumer.start();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "start failed: %s\n", error.what());
    return 1;
  }
  std::printf("STARTED group=%s threads=%d batch=%d consume_batch=%d expect=%lld\n", group.c_str(), threads, batch,
              consume_batch, static_cast<long long>(expect));
  std::fflush(stdout);

  bool ready = false;
  bool timed_out = false;
  std::int64_t last_deliveries = 0;
  std::int64_t last_failed = 0;
  double last_progress = bench::mono_seconds();
  std::int64_t last_unique = 0;
  for (int second = 1;; ++second) {
    {
      std::unique_lock<std::mutex> lock(counters.done_mutex);
      const auto tick = std::chrono::steady_clock::time_point(
          std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(started + second)));
      if (counters.seen.shared()) {
        // The other process of the pair may count the Nth message: look every 20 ms.
        while (!counters.done && std::chrono::steady_clock::now() < tick) {
          if (counters.seen.shared_unique() >= expect && expect > 0) {
            counters.last_at.store(bench::mono_seconds());
            counters.usage_at_done = bench::process_usage();
            counters.done = true;
            break;
          }
          counters.done_cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return counters.done; });
        }
      } else {
        counters.done_cv.wait_until(lock, tick, [&] { return counters.done; });
      }
      if (counters.done) break;
    }
    const auto stats = consumer.stats();
    if (!ready && stats.owned_queues >= queues) {
      ready = true;
      std::printf("READY owned_queues=%d\n", stats.owned_queues);
    }
    const std::int64_t deliveries = counters.deliveries.load();
    const std::int64_t delta = deliveries - last_deliveries;
    const std::int64_t b2c_sum = counters.window_b2c_sum.exchange(0);
    const std::int64_t s2c_sum = counters.window_s2c_sum.exchange(0);
    const std::int64_t failed = counters.failed.load();
    std::printf(
        "Consume TPS: %lld | AVG(B2C) RT(ms): %7.3f | AVG(S2C) RT(ms): %7.3f | MAX(B2C) RT(ms): %lld | "
        "MAX(S2C) RT(ms): %lld | Consume Fail: %lld\n",
        static_cast<long long>(delta), delta > 0 ? static_cast<double>(b2c_sum) / static_cast<double>(delta) : 0.0,
        delta > 0 ? static_cast<double>(s2c_sum) / static_cast<double>(delta) : 0.0,
        static_cast<long long>(counters.window_b2c_max.exchange(0)),
        static_cast<long long>(counters.window_s2c_max.exchange(0)), static_cast<long long>(failed - last_failed));
    std::fflush(stdout);
    last_deliveries = deliveries;
    last_failed = failed;
    const std::int64_t unique = counters.unique.load();
    const double now = bench::mono_seconds();
    if (unique != last_unique) {
      last_unique = unique;
      last_progress = now;
    }
    if (expect > 0 && (now - started > timeout_s || (unique > 0 && now - last_progress > idle_s) ||
                       (unique == 0 && now - started > idle_s + 30))) {
      timed_out = true;
      break;
    }
    if (expect <= 0 && now - started > timeout_s) break;
  }

  bench::ProcessUsage usage;
  double last_at;
  {
    std::lock_guard<std::mutex> lock(counters.done_mutex);
    usage = counters.done ? counters.usage_at_done : bench::process_usage();
    last_at = counters.done ? counters.last_at.load() : bench::mono_seconds();
  }
  const auto stats = consumer.stats();
  const bool pair = counters.seen.shared();
  const std::int64_t own_unique = counters.unique.load();
  const std::int64_t unique = pair ? counters.seen.shared_unique() : own_unique;
  const double first_at = counters.first_at.load();
  const double wall = last_at - started;
  double active = first_at > 0 ? last_at - first_at : 0;
  if (pair) {  // the pair's: from the first message of either to the Nth of both
    const std::int64_t first_ns = counters.seen.shared_first_ns();
    const std::int64_t last_ns = counters.seen.shared_last_ns();
    active = first_ns > 0 && last_ns > first_ns ? static_cast<double>(last_ns - first_ns) / 1e9 : active;
  }
  const double throughput = active > 0 ? static_cast<double>(unique) / active : 0;
  const bool complete = expect <= 0 || unique >= expect;
  std::printf(
      "Summary: consumed %lld of %lld (deliveries %lld), wall %.2f s (first message after %.2f s), throughput %.0f "
      "msg/s, CPU %.2f s (user %.2f sys %.2f), peak RSS %.1f MB, B2C p50/p99/p999/max %lld/%lld/%lld/%lld ms, "
      "S2C p50/p99/p999/max %lld/%lld/%lld/%lld ms, context switches %ld voluntary %ld involuntary, pulls %lld, "
      "pull errors %lld%s\n",
      static_cast<long long>(unique), static_cast<long long>(expect), static_cast<long long>(counters.deliveries.load()),
      wall, first_at > 0 ? first_at - started : 0.0, throughput, usage.cpu_s(), usage.user_s, usage.sys_s,
      static_cast<double>(usage.peak_rss_kb) / 1024.0, static_cast<long long>(counters.b2c.percentile(0.5)),
      static_cast<long long>(counters.b2c.percentile(0.99)), static_cast<long long>(counters.b2c.percentile(0.999)),
      static_cast<long long>(counters.b2c.max()), static_cast<long long>(counters.s2c.percentile(0.5)),
      static_cast<long long>(counters.s2c.percentile(0.99)), static_cast<long long>(counters.s2c.percentile(0.999)),
      static_cast<long long>(counters.s2c.max()), usage.voluntary_switches, usage.involuntary_switches,
      static_cast<long long>(stats.pulls),
      static_cast<long long>(stats.pull_errors), timed_out ? " TIMED OUT" : "");
  bench::Json json;
  json.add("client", "cpp")
      .add("group", group)
      .add("threads", threads)
      .add("batch", batch)
      .add("consume_batch", consume_batch)
      .add("expect", expect)
      .add("total", unique)
      .add("own_total", own_unique)
      .add("shared_seen", pair ? 1 : 0)
      .add("deliveries", counters.deliveries.load())
      .add("complete", complete ? 1 : 0)
      .add("wall_s", wall)
      .add("active_s", active)
      .add("throughput", throughput)
      .add("cpu_s", usage.cpu_s())
      .add("cpu_user_s", usage.user_s)
      .add("cpu_sys_s", usage.sys_s)
      .add("peak_rss_kb", static_cast<std::int64_t>(usage.peak_rss_kb))
      .add("ctx_voluntary", static_cast<std::int64_t>(usage.voluntary_switches))
      .add("ctx_involuntary", static_cast<std::int64_t>(usage.involuntary_switches))
      .add("b2c_avg_ms", counters.b2c.mean())
      .add("b2c_p50_ms", counters.b2c.percentile(0.5))
      .add("b2c_p99_ms", counters.b2c.percentile(0.99))
      .add("b2c_p999_ms", counters.b2c.percentile(0.999))
      .add("b2c_max_ms", counters.b2c.max())
      .add("s2c_avg_ms", counters.s2c.mean())
      .add("s2c_p50_ms", counters.s2c.percentile(0.5))
      .add("s2c_p99_ms", counters.s2c.percentile(0.99))
      .add("s2c_p999_ms", counters.s2c.percentile(0.999))
      .add("s2c_max_ms", counters.s2c.max())
      .add("pulls", stats.pulls)
      .add("pull_errors", stats.pull_errors)
      .add("flow_control_pauses", stats.flow_control_pauses)
      .add("pull_turnaround_us", stats.pull_turnaround_us)
      .add("consume_threads_peak", stats.consume_threads_peak);
  std::printf("RESULT %s\n", json.str().c_str());
  std::fflush(stdout);
  consumer.shutdown();
  return complete ? 0 : 1;
}
