#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
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
  // Brokers avoided now because a send to them failed (not merely because they were slow): the
  // ones worth probing, so that one coming back is used again at once, not when its penalty ends.
  std::vector<std::string> failed_brokers(Clock::time_point now = Clock::now()) const;
  std::size_t size() const;

 private:
  struct FaultItem {
    std::chrono::milliseconds latency{0};
    Clock::time_point available_from;
  };
  mutable std::mutex mutex_;
  std::map<std::string, FaultItem> items_;
};

}  // namespace rocketmq::producer
