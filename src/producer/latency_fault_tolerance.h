#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rocketmq::producer {

// Remembers which brokers recently failed or answered slowly, so that queue selection avoids them
// for a while (Java's LatencyFaultToleranceImpl + MQFaultStrategy of the 5.x client). A broker is
// "not available" until `now + not_available_duration(latency)`; a failed send counts as a
// latency of 10 s (isolation), which keeps the broker out for 10 s. Thread-safe.
class LatencyFaultTolerance {
 public:
  using Clock = std::chrono::steady_clock;

  // How long a broker with this send latency is avoided: 0 below 550 ms, growing to 30 s at 15 s
  // (the Java client's latencyMax / notAvailableDuration tables).
  static std::chrono::milliseconds not_available_duration(std::chrono::milliseconds latency);
  // The latency charged to a broker whose send failed.
  static constexpr std::chrono::milliseconds kIsolationLatency{10000};

  // Records the outcome of a send to `broker`: its latency, or `isolation` for a failure.
  void update(const std::string& broker, std::chrono::milliseconds latency, bool isolation,
              Clock::time_point now = Clock::now());
  // False while `broker` is being avoided.
  bool is_available(const std::string& broker, Clock::time_point now = Clock::now()) const;
  // Forgets `broker` (it answered again).
  void remove(const std::string& broker);
  // Records a send to `broker` that got no answer at all (timeout, connection refused or lost): an
  // isolation, and the broker is one worth probing. A broker that answered with an error (busy, no
  // permission) is isolated through update() and left to its back-off.
  void isolate_unreachable(const std::string& broker, Clock::time_point now = Clock::now());
  // Brokers avoided now because they did not answer a send, each with the end of its isolation.
  std::vector<std::pair<std::string, Clock::time_point>> unreachable_brokers(Clock::time_point now = Clock::now()) const;
  // Forgets `broker` if its isolation still ends at `isolated_until` (a probe answered; a send that
  // failed since the probe started keeps its newer isolation).
  void clear_if_unchanged(const std::string& broker, Clock::time_point isolated_until);
  std::size_t size() const;

 private:
  struct FaultItem {
    std::chrono::milliseconds latency{0};
    Clock::time_point available_from;
    bool unreachable = false;  // isolated by isolate_unreachable()
  };
  mutable std::mutex mutex_;
  std::map<std::string, FaultItem> items_;
};

}  // namespace rocketmq::producer
