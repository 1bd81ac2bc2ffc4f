#include "producer/latency_fault_tolerance.h"

#include <array>

namespace rocketmq::producer {

namespace {

using std::chrono::milliseconds;

// MQFaultStrategy (5.x): a latency at or above kLatencyMax[i] keeps the broker out for kNotAvailable[i].
constexpr std::array<milliseconds, 7> kLatencyMax{milliseconds(50),   milliseconds(100),  milliseconds(550),
                                                  milliseconds(1800), milliseconds(3000), milliseconds(5000),
                                                  milliseconds(15000)};
constexpr std::array<milliseconds, 7> kNotAvailable{milliseconds(0),    milliseconds(0),     milliseconds(2000),
                                                    milliseconds(5000), milliseconds(6000),  milliseconds(10000),
                                                    milliseconds(30000)};

}  // namespace

milliseconds LatencyFaultTolerance::not_available_duration(milliseconds latency) {
  for (std::size_t i = kLatencyMax.size(); i-- > 0;) {
    if (latency >= kLatencyMax[i]) return kNotAvailable[i];
  }
  return milliseconds(0);
}

void LatencyFaultTolerance::update(const std::string& broker, milliseconds latency, bool isolation,
                                   Clock::time_point now) {
  const milliseconds charged = isolation ? kIsolationLatency : latency;
  const milliseconds duration = not_available_duration(charged);
  std::lock_guard<std::mutex> lock(mutex_);
  if (duration.count() == 0) {
    // A fast answer clears an earlier penalty only once it has expired, as in Java: a single quick
    // reply must not undo the isolation of a broker that just failed.
    auto it = items_.find(broker);
    if (it != items_.end() && it->second.available_from <= now) items_.erase(it);
    return;
  }
  items_[broker] = FaultItem{charged, now + duration};
}

bool LatencyFaultTolerance::is_available(const std::string& broker, Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = items_.find(broker);
  return it == items_.end() || it->second.available_from <= now;
}

void LatencyFaultTolerance::remove(const std::string& broker) {
  std::lock_guard<std::mutex> lock(mutex_);
  items_.erase(broker);
}

void LatencyFaultTolerance::isolate_unreachable(const std::string& broker, Clock::time_point now) {
  const milliseconds duration = not_available_duration(kIsolationLatency);
  std::lock_guard<std::mutex> lock(mutex_);
  items_[broker] = FaultItem{kIsolationLatency, now + duration, true};
}

std::vector<std::pair<std::string, LatencyFaultTolerance::Clock::time_point>> LatencyFaultTolerance::unreachable_brokers(
    Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::pair<std::string, Clock::time_point>> unreachable;
  for (const auto& [broker, item] : items_) {
    if (item.unreachable && item.available_from > now) unreachable.emplace_back(broker, item.available_from);
  }
  return unreachable;
}

void LatencyFaultTolerance::clear_if_unchanged(const std::string& broker, Clock::time_point isolated_until) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = items_.find(broker);
  if (it != items_.end() && it->second.available_from == isolated_until) items_.erase(it);
}

std::size_t LatencyFaultTolerance::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return items_.size();
}

}  // namespace rocketmq::producer
