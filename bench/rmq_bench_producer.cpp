// Producer benchmark in the shape of the Java distribution's `Producer` benchmark:
//   rmq_bench_producer [name-server] [topic] [threads] [message-size] [seconds] [async 0/1]
// Prints each second "Send TPS: N Max RT(ms): N Average RT(ms): X Send Failed: N Response Failed: N"
// and a total at the end. Uses the public API only.
#include <rocketmq/rocketmq.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Stats {
  std::atomic<long> sent_ok{0};
  std::atomic<long> send_failed{0};      // send() threw (or refused an async send)
  std::atomic<long> response_failed{0};  // an async callback reported an error
  std::atomic<long> rt_total_ms{0};
  std::atomic<long> rt_max_ms{0};

  void record(long rt_ms) {
    sent_ok.fetch_add(1);
    rt_total_ms.fetch_add(rt_ms);
    long seen = rt_max_ms.load();
    while (rt_ms > seen && !rt_max_ms.compare_exchange_weak(seen, rt_ms)) {
    }
  }
};

long millis_since(Clock::time_point start) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string name_server = argc > 1 ? argv[1] : "127.0.0.1:9876";
  const std::string topic = argc > 2 ? argv[2] : "BenchmarkTest";
  const int threads = argc > 3 ? std::atoi(argv[3]) : 4;
  const int message_size = argc > 4 ? std::atoi(argv[4]) : 128;
  const int seconds = argc > 5 ? std::atoi(argv[5]) : 10;
  const bool async = argc > 6 && std::atoi(argv[6]) != 0;
  if (threads < 1 || message_size < 1 || seconds < 1) {
    std::fprintf(stderr, "usage: %s [name-server] [topic] [threads>=1] [message-size>=1] [seconds>=1] [async 0/1]\n",
                 argv[0]);
    return 2;
  }

  rocketmq::ProducerOption option;
  try {
    option.set_name_server_addr(name_server);
    option.set_group_name("benchmark_producer");
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
  std::atomic<bool> running{true};
  const std::string body(static_cast<std::size_t>(message_size), 'a');
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&] {
      while (running.load()) {
        rocketmq::Message message(topic, "TagA", body);
        const auto started = Clock::now();
        try {
          if (async) {
            producer.send(message, [&stats, started](const rocketmq::SendResult&, std::exception_ptr error) {
              if (error) {
                stats.response_failed.fetch_add(1);
              } else {
                stats.record(millis_since(started));
              }
            });
          } else {
            producer.send(message);
            stats.record(millis_since(started));
          }
        } catch (const std::exception&) {
          stats.send_failed.fetch_add(1);
        }
      }
    });
  }

  const auto begin = Clock::now();
  long last_ok = 0;
  long last_rt_total = 0;
  for (int second = 0; second < seconds; ++second) {
    std::this_thread::sleep_until(begin + std::chrono::seconds(second + 1));
    const long ok = stats.sent_ok.load();
    const long rt_total = stats.rt_total_ms.load();
    const long delta = ok - last_ok;
    const double average = delta > 0 ? static_cast<double>(rt_total - last_rt_total) / static_cast<double>(delta) : 0.0;
    std::printf("Send TPS: %ld Max RT(ms): %ld Average RT(ms): %.3f Send Failed: %ld Response Failed: %ld\n", delta,
                stats.rt_max_ms.exchange(0), average, stats.send_failed.load(), stats.response_failed.load());
    std::fflush(stdout);
    last_ok = ok;
    last_rt_total = rt_total;
  }
  running = false;
  for (auto& sender : senders) sender.join();
  producer.shutdown();  // async: waits for the answers still in flight
  const double elapsed = static_cast<double>(millis_since(begin)) / 1000.0;
  const long ok = stats.sent_ok.load();
  std::printf("Total: sent %ld in %.1f s, Send TPS: %.0f Average RT(ms): %.3f Send Failed: %ld Response Failed: %ld\n",
              ok, elapsed, static_cast<double>(ok) / elapsed,
              ok > 0 ? static_cast<double>(stats.rt_total_ms.load()) / static_cast<double>(ok) : 0.0,
              stats.send_failed.load(), stats.response_failed.load());
  return stats.send_failed.load() + stats.response_failed.load() == 0 ? 0 : 1;
}
