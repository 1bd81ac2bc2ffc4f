#pragma once

// The fault tests' shared cluster and tools (see fault_cluster.cpp for the cluster's layout):
// the FaultCluster fixture, an Admin helper of the tests' own, a Recorder listener, the client
// options every fault test uses and a paced producer. Shared by all test/fault/*.cpp, which run
// in one process against one cluster.

#include <rocketmq/rocketmq.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/remoting_mq_client_api.h"
#include "remoting/remoting_client.h"
#include "support/fault_proxy.h"
#include "support/listeners.h"
#include "support/test_env.h"

namespace rocketmq::test::fault {

using Clock = std::chrono::steady_clock;

constexpr int kNamesrvPort = 23876;
constexpr int kBrokerAPort = 24911;
constexpr int kBrokerBPort = 26911;
extern const std::string kNamesrvList;
extern const std::string kBrokerAProxied;
extern const std::string kBrokerB;
extern const std::string kSlaveA;
extern const std::string kSlaveB;

struct FaultCluster {
  // The proxy first: broker-a is unreachable without it.
  FaultProxy proxy{"127.0.0.2", kBrokerAPort, "127.0.0.1:" + std::to_string(kBrokerAPort)};
  ScopedCluster cluster;
  FaultCluster();
};

// The cluster, started on first use; every process an earlier test left killed is relaunched and
// the proxy passes again.
FaultCluster& fault_cluster();

inline double seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

// True once `route` lists both brokers with their masters (what producers need).
bool routed_with_masters(const protocol::TopicRouteData& route);

// Admin requests of the tests themselves, over their own transport.
struct Admin {
  remoting::RemotingClient remoting;
  client::RemotingMQClientAPI api{remoting, kNamesrvList, std::chrono::seconds(5)};

  // Creates `topic` with `queues` queues on both masters (and slaves) and waits until the name
  // servers route it.
  void create_topic(const std::string& topic, int queues);
  std::int64_t max_offset(const std::string& address, const std::string& topic, int queue) {
    return api.get_max_offset(address, topic, queue);
  }
  // The offset `group` committed for the queue on its master, -1 when it has none.
  std::int64_t committed_offset(const std::string& group, const std::string& broker_name, const std::string& topic,
                                int queue);
};

// Records deliveries with their time and broker.
class Recorder : public MessageListenerConcurrently {
 public:
  explicit Recorder(std::chrono::milliseconds per_message = std::chrono::milliseconds(0))
      : per_message_(per_message) {}

  ConsumeResult consume_message(const std::vector<MessageExt>& messages) override {
    if (per_message_.count() > 0) std::this_thread::sleep_for(per_message_ * messages.size());
    const auto now = Clock::now();
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& message : messages) {
      counts_.add(message.get_msg_id());
      events_.push_back(Event{now, message.get_broker_name(), message.get_queue_id()});
    }
    return ConsumeResult::Success;
  }

  struct Event {
    Clock::time_point at;
    std::string broker;
    int queue = 0;
  };

  std::size_t distinct() const { return counts_.distinct(); }
  long duplicates() const { return counts_.duplicates(); }
  // Every delivery: message id to count.
  std::map<std::string, int> deliveries() const { return counts_.counts(); }
  std::vector<Event> events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  // Ids of `expected` never delivered.
  std::vector<std::string> missing(const std::set<std::string>& expected) const {
    return counts_.missing(expected);
  }
  std::optional<Clock::time_point> first_from(const std::string& broker, Clock::time_point after) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& event : events_) {
      if (event.broker == broker && event.at >= after) return event.at;
    }
    return std::nullopt;
  }
  // The longest pause between deliveries from `broker` within [after, until], its ends included.
  Clock::duration longest_gap(const std::string& broker, Clock::time_point after, Clock::time_point until) const {
    std::lock_guard<std::mutex> lock(mutex_);
    Clock::time_point previous = after;
    Clock::duration longest{0};
    for (const auto& event : events_) {
      if (event.broker != broker || event.at < after || event.at > until) continue;
      longest = std::max(longest, event.at - previous);
      previous = event.at;
    }
    return std::max(longest, until - previous);
  }
  std::optional<Clock::time_point> last_delivery() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (events_.empty()) return std::nullopt;
    return events_.back().at;
  }

 private:
  const std::chrono::milliseconds per_message_;
  mutable std::mutex mutex_;
  test::DeliveryCounts counts_;
  std::vector<Event> events_;
};

ConsumerOption consumer_option(const std::string& group, const std::string& name_servers = kNamesrvList);
ProducerOption producer_option(const std::string& name_servers = kNamesrvList);

// Sync sends at a steady rate from `threads` threads until stopped; keeps what succeeded. A thread held
// by a slow send catches up afterwards (up to 10 s of sends), so the offered rate holds. With
// `batch` > 1 each send is a batch of that many messages (one request, one queue): a rate of
// thousands per second that single sends do not reach on this loaded 2-core machine.
class PacedProducer {
 public:
  PacedProducer(Producer& producer, std::string topic, int per_second, int threads = 4, int batch = 1);
  ~PacedProducer() { stop(); }
  PacedProducer(const PacedProducer&) = delete;
  PacedProducer& operator=(const PacedProducer&) = delete;

  void stop();
  // Successful sends per second from start to stop(), and between two instants (by the time each
  // send's answer arrived).
  double rate() const;
  double rate_between(Clock::time_point from, Clock::time_point to) const;
  std::set<std::string> sent() const;
  long failed() const { return failed_.load(); }
  Clock::duration longest_send() const;
  std::optional<Clock::time_point> last_ok(const std::string& broker) const;

 private:
  Producer& producer_;
  const std::string topic_;
  std::atomic<bool> stop_{false};
  std::atomic<long> failed_{0};
  const Clock::time_point started_ = Clock::now();
  Clock::time_point stopped_ = started_;
  mutable std::mutex mutex_;
  std::set<std::string> sent_;
  std::vector<Clock::time_point> answered_at_;  // of every successful send, in order
  std::map<std::string, Clock::time_point> last_ok_by_broker_;
  Clock::duration longest_send_{0};
  std::vector<std::thread> threads_;
};

}  // namespace rocketmq::test::fault
