// Producer benchmark in the shape of the Java distribution's `Producer` benchmark:
//   rmq_bench_producer [name-server] [topic] [threads] [message-size] [seconds] [async 0/1]
//                      [--count N] [--rate R] [--tag TagA]
// (every positional argument may also be given as --namesrv --topic --threads --size --seconds
// --async). Prints each second "Send TPS: N Max RT(ms): N Average RT(ms): X Send Failed: N
// Response Failed: N", at the end a summary (total, wall time, throughput, CPU seconds of the
// process, peak RSS, send RT p50/p99/p999) and one "RESULT {json}" line. Uses the public API only.
//
//   --count N   send exactly N messages successfully and stop (preloading a backlog); a failed
//               send is sent again, so N messages are stored when the exit code is 0.
//   --rate R    pace the sends at R messages per second in total (fixed-rate latency runs);
//               with --seconds S and no --count, R*S messages are sent.
//   --batch B   send batches of B messages (synchronous send(std::vector<Message>), one request
//               per batch): the fastest way to preload a backlog, since the brokers then handle B
//               messages per request. The RT figures are then per batch.
//   --tls-ca FILE, --access-key AK --secret-key SK   a secured cluster (docs/security.md).
#include <rocketmq/rocketmq.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "bench_util.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Stats {
  std::atomic<long> sent_ok{0};
  std::atomic<long> requests{0};  // answered send requests (a batch is one)
  std::atomic<long> send_failed{0};      // send() threw (or refused an async send)
  std::atomic<long> response_failed{0};  // an async callback reported an error
  std::atomic<long> rt_total_us{0};
  std::atomic<long> rt_max_us{0};
  bench::Histogram rt_us;
  long target = 0;                          // --count: the answer that completes it is timed
  std::atomic<double> completed_at{0};      // mono_seconds() of that answer

  void record(long rt_us_value, long messages = 1) {
    const long before = sent_ok.fetch_add(messages);
    if (target > 0 && before < target && before + messages >= target) completed_at.store(bench::mono_seconds());
    requests.fetch_add(1);
    rt_total_us.fetch_add(rt_us_value);
    rt_us.record(rt_us_value);
    long seen = rt_max_us.load();
    while (rt_us_value > seen && !rt_max_us.compare_exchange_weak(seen, rt_us_value)) {
    }
  }
};

long micros_since(Clock::time_point start) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args args(argc, argv);
  const auto& pos = args.positional();
  auto positional = [&](std::size_t i, const std::string& flag, const std::string& fallback) {
    return args.has(flag) ? args.get(flag, fallback) : (pos.size() > i ? pos[i] : fallback);
  };
  const std::string name_server = positional(0, "namesrv", "127.0.0.1:9876");
  const std::string topic = positional(1, "topic", "BenchmarkTest");
  const int threads = std::atoi(positional(2, "threads", "4").c_str());
  const int message_size = std::atoi(positional(3, "size", "128").c_str());
  int seconds = std::atoi(positional(4, "seconds", "10").c_str());
  const bool async = std::atoi(positional(5, "async", "0").c_str()) != 0;
  const double rate = args.get_double("rate", 0);
  long count = static_cast<long>(args.get_int("count", 0));
  const std::string tag = args.get("tag", "TagA");
  const long batch = std::max(1L, static_cast<long>(args.get_int("batch", 1)));
  if (rate > 0 && count == 0) count = static_cast<long>(rate * seconds);
  if (count > 0) seconds = 0;  // run until the count is reached
  if (threads < 1 || message_size < 1 || (seconds < 1 && count < 1) || args.has("help")) {
    std::fprintf(stderr,
                 "usage: %s [name-server] [topic] [threads>=1] [message-size>=1] [seconds>=1] [async 0/1]"
                 " [--count N] [--rate msgs/s] [--tag T]\n",
                 argv[0]);
    return 2;
  }

  rocketmq::ProducerOption option;
  try {
    option.set_name_server_addr(name_server);
    option.set_group_name("benchmark_producer");
    option.set_instance_name("bench_producer_" + std::to_string(getpid()));
    bench::apply_security_flags(args, option);
    if (args.has("pending")) option.set_max_pending_async_sends(static_cast<int>(args.get_int("pending", 10000)));
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bad option: %s\n", error.what());
    return 2;
  }
  rocketmq::Producer producer(option);
  try {
    producer.start();
  } catch (const std::exception& error) {
    std::fprintf(stderr, "start failed: %s\n", error.what());
    return 1;
  }

  Stats stats;
  stats.target = count;
  std::atomic<bool> running{true};
  // With a count: a sender claims a slot before sending; a failed send gives its slot back.
  std::atomic<long> claimed{0};
  const std::string body(static_cast<std::size_t>(message_size), 'a');
  const auto begin = Clock::now();
  const double begin_s = bench::mono_seconds();
  auto claim = [&]() -> long {
    if (count <= 0) return 0;
    long slot = claimed.fetch_add(1);
    if (slot >= count) {
      claimed.fetch_sub(1);
      return -1;
    }
    return slot;
  };
  // Batches: claims up to `batch` slots at once; returns how many.
  auto claim_batch = [&]() -> long {
    if (count <= 0) return batch;
    long from = claimed.load();
    while (true) {
      if (from >= count) return 0;
      const long take = std::min(batch, count - from);
      if (claimed.compare_exchange_weak(from, from + take)) return take;
    }
  };
  std::vector<std::thread> senders;
  for (int t = 0; t < threads && batch > 1; ++t) {
    senders.emplace_back([&] {
      while (running.load()) {
        const long take = claim_batch();
        if (take == 0) {
          if (stats.sent_ok.load() >= count) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          continue;
        }
        std::vector<rocketmq::Message> messages;
        messages.reserve(static_cast<std::size_t>(take));
        for (long i = 0; i < take; ++i) messages.emplace_back(topic, tag, body);
        const auto started = Clock::now();
        try {
          producer.send(messages);
          const long rt = micros_since(started);
          stats.record(rt, take);
        } catch (const std::exception& error) {
          stats.send_failed.fetch_add(1);
          if (count > 0) claimed.fetch_sub(take);
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
    });
  }
  for (int t = 0; t < threads && batch == 1; ++t) {
    senders.emplace_back([&] {
      while (running.load()) {
        const long slot = claim();
        if (slot < 0) {
          if (stats.sent_ok.load() >= count) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(1));  // failures may hand slots back
          continue;
        }
        if (rate > 0) {
          std::this_thread::sleep_until(begin + std::chrono::duration_cast<Clock::duration>(
                                                    std::chrono::duration<double>(static_cast<double>(slot) / rate)));
        }
        rocketmq::Message message(topic, tag, body);
        const auto started = Clock::now();
        try {
          if (async) {
            producer.send(message, [&stats, &claimed, count, started](const rocketmq::SendResult&,
                                                                      std::exception_ptr error) {
              if (error) {
                stats.response_failed.fetch_add(1);
                if (count > 0) claimed.fetch_sub(1);
              } else {
                stats.record(micros_since(started));
              }
            });
          } else {
            producer.send(message);
            stats.record(micros_since(started));
          }
        } catch (const std::exception&) {
          stats.send_failed.fetch_add(1);
          if (count > 0) claimed.fetch_sub(1);
        }
      }
    });
  }

  long last_ok = 0;
  long last_requests = 0;
  long last_rt_total = 0;
  for (int second = 0; count > 0 ? stats.sent_ok.load() < count : second < seconds; ++second) {
    std::this_thread::sleep_until(begin + std::chrono::seconds(second + 1));
    const long ok = stats.sent_ok.load();
    const long rt_total = stats.rt_total_us.load();
    const long delta = ok - last_ok;
    const long requests = stats.requests.load();
    const double average = requests > last_requests ? static_cast<double>(rt_total - last_rt_total) /
                                                          static_cast<double>(requests - last_requests) / 1000.0
                                                    : 0.0;
    last_requests = requests;
    std::printf("Send TPS: %ld Max RT(ms): %.3f Average RT(ms): %.3f Send Failed: %ld Response Failed: %ld\n", delta,
                static_cast<double>(stats.rt_max_us.exchange(0)) / 1000.0, average, stats.send_failed.load(),
                stats.response_failed.load());
    std::fflush(stdout);
    last_ok = ok;
    last_rt_total = rt_total;
    if (count > 0 && stats.send_failed.load() + stats.response_failed.load() > std::max(1000L, count / 10)) {
      std::fprintf(stderr, "too many failed sends, giving up\n");
      break;
    }
  }
  running = false;
  for (auto& sender : senders) sender.join();
  producer.shutdown();  // async: waits for the answers still in flight
  const double elapsed = static_cast<double>(micros_since(begin)) / 1e6;
  const auto usage = bench::process_usage();
  const long ok = stats.sent_ok.load();
  // Throughput: with --count, from the start to the answer that completed it (the once-a-second
  // report loop and the shutdown are not in it); else the whole run.
  const double send_s = count > 0 && stats.completed_at.load() > 0 ? stats.completed_at.load() - begin_s : elapsed;
  const double throughput = send_s > 0 ? static_cast<double>(ok) / send_s : 0.0;
  std::printf("Total: sent %ld in %.1f s, Send TPS: %.0f Average RT(ms): %.3f Send Failed: %ld Response Failed: %ld\n",
              ok, elapsed, throughput,
              stats.requests.load() > 0
                  ? static_cast<double>(stats.rt_total_us.load()) / static_cast<double>(stats.requests.load()) / 1000.0
                  : 0.0,
              stats.send_failed.load(), stats.response_failed.load());
  std::printf(
      "Summary: sent %ld, wall %.2f s (last answer after %.2f s), throughput %.0f msg/s, CPU %.2f s (user %.2f sys %.2f), peak RSS %.1f MB, "
      "RT p50/p99/p999 %.3f/%.3f/%.3f ms\n",
      ok, elapsed, send_s, throughput, usage.cpu_s(), usage.user_s, usage.sys_s,
      static_cast<double>(usage.peak_rss_kb) / 1024.0, static_cast<double>(stats.rt_us.percentile(0.5)) / 1000.0,
      static_cast<double>(stats.rt_us.percentile(0.99)) / 1000.0,
      static_cast<double>(stats.rt_us.percentile(0.999)) / 1000.0);
  bench::Json json;
  json.add("client", "cpp-producer")
      .add("async", async ? 1 : 0)
      .add("threads", threads)
      .add("size", message_size)
      .add("batch", static_cast<std::int64_t>(batch))
      .add("total", static_cast<std::int64_t>(ok))
      .add("wall_s", elapsed)
      .add("send_s", send_s)
      .add("throughput", throughput)
      .add("cpu_s", usage.cpu_s())
      .add("cpu_user_s", usage.user_s)
      .add("cpu_sys_s", usage.sys_s)
      .add("peak_rss_kb", static_cast<std::int64_t>(usage.peak_rss_kb))
      .add("ctx_voluntary", static_cast<std::int64_t>(usage.voluntary_switches))
      .add("ctx_involuntary", static_cast<std::int64_t>(usage.involuntary_switches))
      .add("rt_p50_ms", static_cast<double>(stats.rt_us.percentile(0.5)) / 1000.0)
      .add("rt_p99_ms", static_cast<double>(stats.rt_us.percentile(0.99)) / 1000.0)
      .add("rt_p999_ms", static_cast<double>(stats.rt_us.percentile(0.999)) / 1000.0)
      .add("send_failed", static_cast<std::int64_t>(stats.send_failed.load()))
      .add("response_failed", static_cast<std::int64_t>(stats.response_failed.load()));
  std::printf("RESULT %s\n", json.str().c_str());
  const bool complete = count <= 0 || ok >= count;
  if (count > 0) return complete ? 0 : 1;
  return stats.send_failed.load() + stats.response_failed.load() == 0 ? 0 : 1;
}
