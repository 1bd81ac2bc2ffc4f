#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace rocketmq::consumer {

// Per-topic consumption figures as the Java client keeps them for running info: pull and consume
// rates over the last sampling window, and average round-trip and listener times.
//
// How it works: pulls and listener calls add to cumulative counters per topic (one short lock per
// pull answer or listener call, never per message); sample() (the consumer's periodic check, every
// 10 s) turns the difference since the previous sample into rates. Rates read 0 until the first
// two samples exist. Thread-safe.
class TopicStats {
 public:
  using Clock = std::chrono::steady_clock;

  struct Rates {
    double pull_tps = 0;  // messages pulled per second
    double pull_rt_ms = 0;
    double consume_ok_tps = 0;
    double consume_failed_tps = 0;
    double consume_rt_ms = 0;
    std::int64_t consume_failed_total = 0;
  };

  void pulled(const std::string& topic, std::size_t messages, Clock::duration round_trip);
  // `calls` listener calls (a consume task reports its calls together) took `listener_time` in all.
  void consumed(const std::string& topic, std::size_t ok, std::size_t failed, Clock::duration listener_time,
                std::size_t calls = 1);
  // Closes the current window (periodic, or in tests at chosen times).
  void sample(Clock::time_point now = Clock::now());
  std::map<std::string, Rates> rates() const;

 private:
  struct Counters {
    std::int64_t pulled = 0;
    std::int64_t pulls = 0;
    std::int64_t pull_nanos = 0;
    std::int64_t ok = 0;
    std::int64_t failed = 0;
    std::int64_t calls = 0;
    std::int64_t consume_nanos = 0;
  };
  struct Topic {
    Counters now;
    Counters at_sample;
    Clock::time_point sampled_at{};
    Rates rates;
  };

  mutable std::mutex mutex_;
  std::map<std::string, Topic> topics_;
};

}  // namespace rocketmq::consumer
