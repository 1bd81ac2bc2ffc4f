#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "consumer/process_queue.h"
#include "consumer/rebalance_impl.h"
#include "protocol/bodies/heartbeat_data.h"
#include "rocketmq/consumer_option.h"
#include "rocketmq/message_queue.h"

using rocketmq::MessageModel;
using rocketmq::MessageQueue;
using rocketmq::consumer::ProcessQueue;
using rocketmq::consumer::RebalanceHost;
using rocketmq::consumer::RebalanceImpl;

namespace {

constexpr const char* kGroup = "rebalance_test_group";
constexpr const char* kTopic = "TopicRebalance";
constexpr const char* kOtherTopic = "TopicOther";

MessageQueue queue_of(const std::string& topic, int id, const std::string& broker = "broker-a") {
  MessageQueue queue;
  queue.topic = topic;
  queue.broker_name = broker;
  queue.queue_id = id;
  return queue;
}

std::vector<MessageQueue> queues_of(const std::string& topic, int count) {
  std::vector<MessageQueue> queues;
  for (int id = 0; id < count; ++id) queues.push_back(queue_of(topic, id));
  return queues;
}

rocketmq::protocol::SubscriptionData subscription_of(const std::string& topic) {
  rocketmq::protocol::SubscriptionData subscription;
  subscription.topic = topic;
  return subscription;
}

// Records every call RebalanceImpl makes; thread-safe so the concurrency case can share it.
class FakeRebalanceHost : public RebalanceHost {
 public:
  struct Started {
    MessageQueue queue;
    std::shared_ptr<ProcessQueue> process_queue;
    std::int64_t offset;
  };
  struct Dropped {
    MessageQueue queue;
    std::shared_ptr<ProcessQueue> process_queue;
    bool was_marked_dropped;
  };

  std::vector<std::string> find_consumer_ids(const std::string& topic) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++find_calls_;
    if (throw_on_find_) throw std::runtime_error("no broker for " + topic);
    return consumer_ids_;
  }

  std::int64_t compute_pull_offset(const MessageQueue& queue) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = offsets_.find(queue);
    return it == offsets_.end() ? default_offset_ : it->second;
  }

  void start_pull(const MessageQueue& queue, const std::shared_ptr<ProcessQueue>& process_queue,
                  std::int64_t offset) override {
    std::lock_guard<std::mutex> lock(mutex_);
    started_.push_back({queue, process_queue, offset});
  }

  bool on_queue_dropped(const MessageQueue& queue,
                        const std::shared_ptr<ProcessQueue>& process_queue) override {
    std::lock_guard<std::mutex> lock(mutex_);
    dropped_.push_back({queue, process_queue, process_queue->dropped()});
    return busy_.count(queue) == 0;
  }

  bool lock_queue(const MessageQueue& queue, ProcessQueue& process_queue) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++lock_calls_;
    if (refused_locks_.count(queue) != 0) return false;
    process_queue.set_locked(true);
    return true;
  }

  // An orderly call in flight on `queue`: on_queue_dropped cannot release it.
  void set_busy(const MessageQueue& queue, bool busy) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (busy) {
      busy_.insert(queue);
    } else {
      busy_.erase(queue);
    }
  }
  // Another client holds the broker lock of `queue`.
  void set_lock_refused(const MessageQueue& queue, bool refused) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (refused) {
      refused_locks_.insert(queue);
    } else {
      refused_locks_.erase(queue);
    }
  }
  int lock_calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lock_calls_;
  }

  void set_consumer_ids(std::vector<std::string> ids) {
    std::lock_guard<std::mutex> lock(mutex_);
    consumer_ids_ = std::move(ids);
  }
  void set_throw_on_find(bool value) {
    std::lock_guard<std::mutex> lock(mutex_);
    throw_on_find_ = value;
  }
  void set_offset(const MessageQueue& queue, std::int64_t offset) {
    std::lock_guard<std::mutex> lock(mutex_);
    offsets_[queue] = offset;
  }
  void set_default_offset(std::int64_t offset) {
    std::lock_guard<std::mutex> lock(mutex_);
    default_offset_ = offset;
  }

  std::vector<Started> started() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return started_;
  }
  std::vector<Dropped> dropped() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return dropped_;
  }
  int find_calls() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return find_calls_;
  }
  void clear_records() {
    std::lock_guard<std::mutex> lock(mutex_);
    started_.clear();
    dropped_.clear();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> consumer_ids_;
  bool throw_on_find_ = false;
  std::map<MessageQueue, std::int64_t> offsets_;
  std::int64_t default_offset_ = 0;
  std::vector<Started> started_;
  std::vector<Dropped> dropped_;
  int find_calls_ = 0;
  std::set<MessageQueue> busy_;
  std::set<MessageQueue> refused_locks_;
  int lock_calls_ = 0;
};

std::set<MessageQueue> owned_set(const RebalanceImpl& rebalance) {
  std::set<MessageQueue> owned;
  for (const auto& [queue, process_queue] : rebalance.process_queues()) owned.insert(queue);
  return owned;
}

std::set<MessageQueue> range_of(const std::string& topic, int first, int last_inclusive) {
  std::set<MessageQueue> queues;
  for (int id = first; id <= last_inclusive; ++id) queues.insert(queue_of(topic, id));
  return queues;
}

std::set<MessageQueue> started_set(const std::vector<FakeRebalanceHost::Started>& started) {
  std::set<MessageQueue> queues;
  for (const auto& entry : started) queues.insert(entry.queue);
  return queues;
}

std::set<MessageQueue> dropped_set(const std::vector<FakeRebalanceHost::Dropped>& dropped) {
  std::set<MessageQueue> queues;
  for (const auto& entry : dropped) queues.insert(entry.queue);
  return queues;
}

// The three consumers of the group; this client is the middle one once sorted.
const std::vector<std::string> kThreeConsumers{"cid-c", "cid-a", "cid-b"};
constexpr const char* kClientId = "cid-b";

}  // namespace

TEST_CASE("Rebalance clustering takes this client's averagely allocated share", "[consumer][rebalance]") {
  FakeRebalanceHost host;
  host.set_consumer_ids(kThreeConsumers);  // unsorted on purpose: RebalanceImpl sorts them
  host.set_default_offset(17);
  RebalanceImpl rebalance(kGroup, kClientId, MessageModel::Clustering, rocketmq::allocate_averagely(), host);
  rebalance.set_subscription(kTopic, subscription_of(kTopic));
  auto queues = queues_of(kTopic, 16);
  std::reverse(queues.begin(), queues.end());  // RebalanceImpl sorts the route's queues too
  rebalance.set_topic_queues(kTopic, queues);

  REQUIRE(rebalance.do_rebalance());

  // 16 queues over 3 consumers: 6, 5, 5; the second consumer gets queues 6..10.
  const auto expected = range_of(kTopic, 6, 10);
  const auto strategy_says = rocketmq::allocate_averagely()->allocate(
      kGroup, kClientId, queues_of(kTopic, 16), std::vector<std::string>{"cid-a", "cid-b", "cid-c"});
  CHECK(std::set<MessageQueue>(strategy_says.begin(), strategy_says.end()) == expected);
  CHECK(owned_set(rebalance) == expected);

  const auto started = host.started();
  REQUIRE(started.size() == 5);
  CHECK(started_set(started) == expected);
  for (const auto& entry : started) {
    CHECK(entry.offset == 17);
    REQUIRE(entry.process_queue != nullptr);
    CHECK_FALSE(entry.process_queue->dropped());
    CHECK(rebalance.process_queue(entry.queue) == entry.process_queue);
  }
  CHECK(host.dropped().empty());
  CHECK(host.find_calls() == 1);
  CHECK(rebalance.process_queue(queue_of(kTopic, 0)) == nullptr);

  // Nothing changed: a second rebalance starts and drops nothing.
  CHECK_FALSE(rebalance.do_rebalance());
  CHECK(host.started().size() == 5);
  CHECK(host.dropped().empty());
}

TEST_CASE("Rebalance follows a change of the consumer list", "[consumer][rebalance]") {
  FakeRebalanceHost host;
  host.set_consumer_ids(kThreeConsumers);
  RebalanceImpl rebalance(kGroup, kClientId, MessageModel::Clustering, rocketmq::allocate_averagely(), host);
  rebalance.set_subscription(kTopic, subscription_of(kTopic));
  rebalance.set_topic_queues(kTopic, queues_of(kTopic, 16));
  REQUIRE(rebalance.do_rebalance());
  REQUIRE(owned_set(rebalance) == range_of(kTopic, 6, 10));
  const auto before = rebalance.process_queues();
  host.clear_records();

  // cid-c leaves: 8 queues each, this client now owns 8..15.
  host.set_consumer_ids({"cid-b", "cid-a"});
  for (int id = 11; id <= 15; ++id) host.set_offset(queue_of(kTopic, id), 1000 + id);
  REQUIRE(rebalance.do_rebalance());
  CHECK(owned_set(rebalance) == range_of(kTopic, 8, 15));

  // 6 and 7 were given away: marked dropped before on_queue_dropped, which ran once each.
  const auto dropped = host.dropped();
  REQUIRE(dropped.size() == 2);
  CHECK(dropped_set(dropped) == range_of(kTopic, 6, 7));
  for (const auto& entry : dropped) {
    CHECK(entry.was_marked_dropped);
    CHECK(entry.process_queue == before.at(entry.queue));
    CHECK(entry.process_queue->dropped());
    CHECK(rebalance.process_queue(entry.queue) == nullptr);
  }

  // 11..15 are new: one start_pull each, at the offset the host computed.
  const auto started = host.started();
  REQUIRE(started.size() == 5);
  CHECK(started_set(started) == range_of(kTopic, 11, 15));
  for (const auto& entry : started) {
    CHECK(entry.offset == 1000 + entry.queue.queue_id);
    CHECK(rebalance.process_queue(entry.queue) == entry.process_queue);
  }

  // 8..10 were kept: the same ProcessQueue, still live, no new pull loop.
  for (int id = 8; id <= 10; ++id) {
    const auto queue = queue_of(kTopic, id);
    CHECK(rebalance.process_queue(queue) == before.at(queue));
    CHECK_FALSE(before.at(queue)->dropped());
  }

  SECTION("a dropped queue taken back gets a new ProcessQueue; the old one stays dropped") {
    host.clear_records();
    host.set_consumer_ids(kThreeConsumers);
    REQUIRE(rebalance.do_rebalance());
    CHECK(owned_set(rebalance) == range_of(kTopic, 6, 10));
    CHECK(dropped_set(host.dropped()) == range_of(kTopic, 11, 15));
    const auto restarted = host.started();
    REQUIRE(restarted.size() == 2);
    CHECK(started_set(restarted) == range_of(kTopic, 6, 7));
    for (const auto& entry : restarted) {
      const auto& old_process_queue = before.at(entry.queue);
      CHECK(entry.process_queue != old_process_queue);
      CHECK(old_process_queue->dropped());
      CHECK_FALSE(entry.process_queue->dropped());
      CHECK(rebalance.process_queue(entry.queue) == entry.process_queue);
    }
  }

  SECTION("this client missing from the list gives every queue away") {
    host.clear_records();
    host.set_consumer_ids({"cid-a", "cid-c"});
    REQUIRE(rebalance.do_rebalance());
    CHECK(rebalance.process_queues().empty());
    CHECK(host.dropped().size() == 8);
    CHECK(host.started().empty());
  }
}

TEST_CASE("Rebalance retries a queue whose start offset is not known yet", "[consumer][rebalance]") {
  FakeRebalanceHost host;
  host.set_consumer_ids({kClientId});
  host.set_default_offset(5);
  const auto stuck = queue_of(kTopic, 2);
  host.set_offset(stuck, -1);
  RebalanceImpl rebalance(kGroup, kClientId, MessageModel::Clustering, rocketmq::allocate_averagely(), host);
  rebalance.set_subscription(kTopic, subscription_of(kTopic));
  rebalance.set_topic_queues(kTopic, queues_of(kTopic, 4));

  REQUIRE(rebalance.do_rebalance());
  CHECK(owned_set(rebalance) ==
        std::set<MessageQueue>{queue_of(kTopic, 0), queue_of(kTopic, 1), queue_of(kTopic, 3)});
  CHECK(host.started().size() == 3);
  CHECK(rebalance.process_queue(stuck) == nullptr);

  // Still unknown: skipped again, nothing else touched.
  CHECK_FALSE(rebalance.do_rebalance());
  CHECK(host.started().size() == 3);

  host.set_offset(stuck, 250);
  REQUIRE(rebalance.do_rebalance());
  const auto started = host.started();
  REQUIRE(started.size() == 4);
  CHECK(started.back().queue == stuck);
  CHECK(started.back().offset == 250);
  CHECK(owned_set(rebalance) == range_of(kTopic, 0, 3));
  CHECK(host.dropped().empty());
}

TEST_CASE("Rebalance drops the queues of an unsubscribed topic", "[consumer][rebalance]") {
  FakeRebalanceHost host;
  host.set_consumer_ids({kClientId});
  RebalanceImpl rebalance(kGroup, kClientId, MessageModel::Clustering, rocketmq::allocate_averagely(), host);
  rebalance.set_subscription(kTopic, subscription_of(kTopic));
  rebalance.set_subscription(kOtherTopic, subscription_of(kOtherTopic));
  rebalance.set_topic_queues(kTopic, queues_of(kTopic, 4));
  rebalance.set_topic_queues(kOtherTopic, queues_of(kOtherTopic, 2));
  REQUIRE(rebalance.do_rebalance());
  REQUIRE(rebalance.process_queues().size() == 6);
  const auto before = rebalance.process_queues();
  host.clear_records();

  rebalance.remove_subscription(kTopic);
  CHECK(rebalance.subscriptions().size() == 1);
  rocketmq::protocol::SubscriptionData out;
  CHECK_FALSE(rebalance.subscription(kTopic, out));
  CHECK(rebalance.subscription(kOtherTopic, out));
  CHECK(out.topic == kOtherTopic);

  REQUIRE(rebalance.do_rebalance());
  CHECK(owned_set(rebalance) == range_of(kOtherTopic, 0, 1));
  const auto dropped = host.dropped();
  REQUIRE(dropped.size() == 4);
  CHECK(dropped_set(dropped) == range_of(kTopic, 0, 3));
  for (const auto& entry : dropped) {
    CHECK(entry.was_marked_dropped);
    CHECK(entry.process_queue == before.at(entry.queue));
  }
  CHECK(host.started().empty());
  for (int id = 0; id < 2; ++id) CHECK_FALSE(before.at(queue_of(kOtherTopic, id))->dropped());

  // Done once: the next rebalance has nothing left to drop.
  CHECK_FALSE(rebalance.do_rebalance());
  CHECK(host.dropped().size() == 4);
}

TEST_CASE("Rebalance broadcasting owns every queue without asking for consumer ids",
          "[consumer][rebalance]") {
  FakeRebalanceHost host;
  host.set_consumer_ids({"someone-else"});  // would allocate nothing in clustering
  host.set_throw_on_find(true);
  host.set_default_offset(3);
  RebalanceImpl rebalance(kGroup, kClientId, MessageModel::Broadcasting, rocketmq::allocate_averagely(),
                          host);
  rebalance.set_subscription(kTopic, subscription_of(kTopic));
  rebalance.set_topic_queues(kTopic, queues_of(kTopic, 8));

  REQUIRE(rebalance.do_rebalance());
  CHECK(owned_set(rebalance) == range_of(kTopic, 0, 7));
  CHECK(host.started().size() == 8);
  for (const auto& entry : host.started()) CHECK(entry.offset == 3);
  CHECK(host.find_calls() == 0);

  // The route grows: the new queues are taken too, still without asking.
  rebalance.set_topic_queues(kTopic, queues_of(kTopic, 10));
  REQUIRE(rebalance.do_rebalance());
  CHECK(owned_set(rebalance) == range_of(kTopic, 0, 9));
  CHECK(host.started().size() == 10);
  CHECK(host.find_calls() == 0);
  CHECK(host.dropped().empty());
}

TEST_CASE("Rebalance keeps the current assignment when the consumer list is unavailable",
          "[consumer][rebalance]") {
  FakeRebalanceHost host;
  host.set_consumer_ids(kThreeConsumers);
  RebalanceImpl rebalance(kGroup, kClientId, MessageModel::Clustering, rocketmq::allocate_averagely(), host);
  rebalance.set_subscription(kTopic, subscription_of(kTopic));
  rebalance.set_topic_queues(kTopic, queues_of(kTopic, 16));
  REQUIRE(rebalance.do_rebalance());
  const auto before = rebalance.process_queues();
  REQUIRE(before.size() == 5);
  host.clear_records();

  SECTION("an empty list") { host.set_consumer_ids({}); }
  SECTION("the broker cannot be asked") { host.set_throw_on_find(true); }

  CHECK_FALSE(rebalance.do_rebalance());
  CHECK(rebalance.process_queues() == before);
  for (const auto& [queue, process_queue] : before) CHECK_FALSE(process_queue->dropped());
  CHECK(host.dropped().empty());
  CHECK(host.started().empty());
}

TEST_CASE("Rebalance drop_queue gives one queue up until the next rebalance", "[consumer][rebalance]") {
  FakeRebalanceHost host;
  host.set_consumer_ids({kClientId});
  RebalanceImpl rebalance(kGroup, kClientId, MessageModel::Clustering, rocketmq::allocate_averagely(), host);
  rebalance.set_subscription(kTopic, subscription_of(kTopic));
  rebalance.set_topic_queues(kTopic, queues_of(kTopic, 4));
  REQUIRE(rebalance.do_rebalance());
  host.clear_records();

  const auto queue = queue_of(kTopic, 1);
  const auto old_process_queue = rebalance.process_queue(queue);
  REQUIRE(old_process_queue != nullptr);

  rebalance.drop_queue(queue);
  CHECK(old_process_queue->dropped());
  CHECK(rebalance.process_queue(queue) == nullptr);
  CHECK(rebalance.process_queues().size() == 3);
  auto dropped = host.dropped();
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].queue == queue);
  CHECK(dropped[0].process_queue == old_process_queue);
  CHECK(dropped[0].was_marked_dropped);

  // Not owned any more: a second drop (or one of a queue never owned) does nothing.
  rebalance.drop_queue(queue);
  rebalance.drop_queue(queue_of(kTopic, 99));
  CHECK(host.dropped().size() == 1);

  // The next rebalance takes it again, from the store's offset, with a new ProcessQueue.
  host.set_offset(queue, 77);
  REQUIRE(rebalance.do_rebalance());
  const auto started = host.started();
  REQUIRE(started.size() == 1);
  CHECK(started[0].queue == queue);
  CHECK(started[0].offset == 77);
  CHECK(started[0].process_queue != old_process_queue);
  CHECK(rebalance.process_queue(queue) == started[0].process_queue);
  CHECK(old_process_queue->dropped());
}

TEST_CASE("Rebalance drop_all marks every queue dropped and hands them over", "[consumer][rebalance]") {
  FakeRebalanceHost host;
  host.set_consumer_ids({kClientId});
  RebalanceImpl rebalance(kGroup, kClientId, MessageModel::Clustering, rocketmq::allocate_averagely(), host);
  rebalance.set_subscription(kTopic, subscription_of(kTopic));
  rebalance.set_subscription(kOtherTopic, subscription_of(kOtherTopic));
  rebalance.set_topic_queues(kTopic, queues_of(kTopic, 3));
  rebalance.set_topic_queues(kOtherTopic, queues_of(kOtherTopic, 2));
  REQUIRE(rebalance.do_rebalance());
  const auto before = rebalance.process_queues();
  REQUIRE(before.size() == 5);
  host.clear_records();

  const auto all = rebalance.drop_all();
  CHECK(all == before);
  for (const auto& [queue, process_queue] : all) CHECK(process_queue->dropped());
  CHECK(rebalance.process_queues().empty());
  // The caller commits their offsets; the host is not called back.
  CHECK(host.dropped().empty());
  CHECK(rebalance.drop_all().empty());
  // Shut down: a rebalance that was waiting takes nothing (no broker lock can leak past shutdown).
  const int locks_before = host.lock_calls();
  CHECK_FALSE(rebalance.do_rebalance());
  CHECK(rebalance.process_queues().empty());
  CHECK(host.started().empty());
  CHECK(host.lock_calls() == locks_before);
}

TEST_CASE("Rebalance with lookups and drops from other threads", "[consumer][rebalance]") {
  FakeRebalanceHost host;
  host.set_consumer_ids(kThreeConsumers);
  RebalanceImpl rebalance(kGroup, kClientId, MessageModel::Clustering, rocketmq::allocate_averagely(), host);
  rebalance.set_subscription(kTopic, subscription_of(kTopic));
  rebalance.set_topic_queues(kTopic, queues_of(kTopic, 16));

  std::atomic<bool> stop{false};
  std::thread rebalancer([&] {
    const std::vector<std::vector<std::string>> lists{
        kThreeConsumers, {"cid-a", "cid-b"}, {kClientId}, {}, {"cid-b", "cid-d", "cid-e", "cid-a"}};
    for (int round = 0; round < 300; ++round) {
      host.set_consumer_ids(lists[static_cast<std::size_t>(round) % lists.size()]);
      if (round % 7 == 0) host.set_throw_on_find(round % 14 == 0);
      rebalance.do_rebalance();
    }
    host.set_throw_on_find(false);
    stop = true;
  });
  std::thread meddler([&] {
    int round = 0;
    while (!stop.load()) {
      for (const auto& [queue, process_queue] : rebalance.process_queues()) {
        (void)process_queue->dropped();
        (void)process_queue->cached_count();
      }
      rebalance.drop_queue(queue_of(kTopic, round % 16));
      (void)rebalance.process_queue(queue_of(kTopic, (round + 5) % 16));
      (void)rebalance.topic_queues(kTopic);
      (void)rebalance.subscriptions();
      ++round;
      std::this_thread::yield();
    }
  });
  rebalancer.join();
  meddler.join();

  // Settle on one list and check the invariant: every ProcessQueue ever started is either the one
  // owned for its queue (live) or dropped, so no queue has two pull loops.
  host.set_consumer_ids(kThreeConsumers);
  rebalance.do_rebalance();
  const auto owned = rebalance.process_queues();
  CHECK(owned_set(rebalance) == range_of(kTopic, 6, 10));
  std::map<MessageQueue, int> live;
  for (const auto& entry : host.started()) {
    if (entry.process_queue->dropped()) {
      CHECK((owned.count(entry.queue) == 0 || owned.at(entry.queue) != entry.process_queue));
    } else {
      ++live[entry.queue];
      REQUIRE(owned.count(entry.queue) == 1);
      CHECK(owned.at(entry.queue) == entry.process_queue);
    }
  }
  for (const auto& [queue, count] : live) CHECK(count == 1);
  CHECK(live.size() == owned.size());
  // Each ProcessQueue was reported dropped at most once.
  std::map<const ProcessQueue*, int> reports;
  for (const auto& entry : host.dropped()) {
    CHECK(entry.was_marked_dropped);
    ++reports[entry.process_queue.get()];
  }
  for (const auto& [process_queue, count] : reports) CHECK(count == 1);
}

TEST_CASE("Rebalance keeps a queue it cannot release yet and does not take it again meanwhile",
          "[consumer][rebalance][orderly]") {
  FakeRebalanceHost host;
  host.set_consumer_ids({"cid-b"});
  RebalanceImpl rebalance(kGroup, kClientId, MessageModel::Clustering, rocketmq::allocate_averagely(), host);
  rebalance.set_subscription(kTopic, subscription_of(kTopic));
  rebalance.set_topic_queues(kTopic, queues_of(kTopic, 4));
  REQUIRE(rebalance.do_rebalance());
  REQUIRE(owned_set(rebalance) == range_of(kTopic, 0, 3));
  const auto old_process_queue = rebalance.process_queue(queue_of(kTopic, 0));
  for (const auto& [queue, process_queue] : rebalance.process_queues()) CHECK(process_queue->locked());

  // A second consumer takes 0..1; queue 0 still has a listener call in flight.
  host.set_busy(queue_of(kTopic, 0), true);
  host.set_consumer_ids({"cid-a", "cid-b"});
  REQUIRE(rebalance.do_rebalance());
  CHECK(owned_set(rebalance) == range_of(kTopic, 2, 3));
  REQUIRE(rebalance.releasing().size() == 1);
  CHECK(rebalance.releasing().begin()->first == queue_of(kTopic, 0));
  CHECK(old_process_queue->dropped());

  // Back to one consumer before the call returned: queue 0 is not taken again while releasing.
  host.set_consumer_ids({"cid-b"});
  host.clear_records();
  rebalance.do_rebalance();
  CHECK(owned_set(rebalance) == range_of(kTopic, 1, 3));
  CHECK(rebalance.releasing().size() == 1);
  CHECK(host.dropped().size() == 1);  // the release was tried again

  // The call returned: the next rebalance releases it first, then takes it with a new process queue.
  host.set_busy(queue_of(kTopic, 0), false);
  REQUIRE(rebalance.do_rebalance());
  CHECK(rebalance.releasing().empty());
  CHECK(owned_set(rebalance) == range_of(kTopic, 0, 3));
  CHECK(rebalance.process_queue(queue_of(kTopic, 0)) != old_process_queue);
  // Shutdown hands back owned and releasing queues alike.
  host.set_busy(queue_of(kTopic, 1), true);
  host.set_consumer_ids({"cid-a", "cid-b"});
  rebalance.do_rebalance();
  CHECK(rebalance.releasing().size() == 1);
  CHECK(rebalance.drop_all().size() == 3);
  CHECK(rebalance.releasing().empty());
}

TEST_CASE("Rebalance leaves a queue whose broker lock is refused for a later attempt", "[consumer][rebalance][orderly]") {
  FakeRebalanceHost host;
  host.set_consumer_ids({"cid-b"});
  host.set_lock_refused(queue_of(kTopic, 1), true);
  RebalanceImpl rebalance(kGroup, kClientId, MessageModel::Clustering, rocketmq::allocate_averagely(), host);
  rebalance.set_subscription(kTopic, subscription_of(kTopic));
  rebalance.set_topic_queues(kTopic, queues_of(kTopic, 3));
  REQUIRE(rebalance.do_rebalance());
  CHECK(owned_set(rebalance) == std::set<MessageQueue>{queue_of(kTopic, 0), queue_of(kTopic, 2)});
  CHECK(rebalance.lock_refused());
  CHECK(started_set(host.started()) == std::set<MessageQueue>{queue_of(kTopic, 0), queue_of(kTopic, 2)});

  host.set_lock_refused(queue_of(kTopic, 1), false);
  REQUIRE(rebalance.do_rebalance());
  CHECK_FALSE(rebalance.lock_refused());
  CHECK(owned_set(rebalance) == range_of(kTopic, 0, 2));
  CHECK(rebalance.process_queue(queue_of(kTopic, 1))->locked());
}
