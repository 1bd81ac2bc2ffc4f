#include "consumer/topic_stats.h"

namespace rocketmq::consumer {

namespace {
std::int64_t nanos(TopicStats::Clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
}
}  // namespace

void TopicStats::pulled(const std::string& topic, std::size_t messages, Clock::duration round_trip) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& counters = topics_[topic].now;
  counters.pulled += static_cast<std::int64_t>(messages);
  counters.pulls += 1;
  counters.pull_nanos += nanos(round_trip);
}

void TopicStats::consumed(const std::string& topic, std::size_t ok, std::size_t failed,
                          Clock::duration listener_time, std::size_t calls) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& counters = topics_[topic].now;
  counters.ok += static_cast<std::int64_t>(ok);
  counters.failed += static_cast<std::int64_t>(failed);
  counters.calls += static_cast<std::int64_t>(calls);
  counters.consume_nanos += nanos(listener_time);
}

void TopicStats::sample(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [name, topic] : topics_) {
    if (topic.sampled_at != Clock::time_point{}) {
      const double seconds = std::chrono::duration<double>(now - topic.sampled_at).count();
      const auto& a = topic.at_sample;
      const auto& b = topic.now;
      if (seconds > 0) {
        topic.rates.pull_tps = static_cast<double>(b.pulled - a.pulled) / seconds;
        topic.rates.consume_ok_tps = static_cast<double>(b.ok - a.ok) / seconds;
        topic.rates.consume_failed_tps = static_cast<double>(b.failed - a.failed) / seconds;
      }
      const auto pulls = b.pulls - a.pulls;
      const auto calls = b.calls - a.calls;
      topic.rates.pull_rt_ms = pulls > 0 ? static_cast<double>(b.pull_nanos - a.pull_nanos) / 1e6 / pulls : 0;
      topic.rates.consume_rt_ms = calls > 0 ? static_cast<double>(b.consume_nanos - a.consume_nanos) / 1e6 / calls : 0;
    }
    topic.rates.consume_failed_total = topic.now.failed;
    topic.at_sample = topic.now;
    topic.sampled_at = now;
  }
}

std::map<std::string, TopicStats::Rates> TopicStats::rates() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<std::string, Rates> result;
  for (const auto& [name, topic] : topics_) {
    auto rates = topic.rates;
    rates.consume_failed_total = topic.now.failed;
    result.emplace(name, rates);
  }
  return result;
}

}  // namespace rocketmq::consumer
