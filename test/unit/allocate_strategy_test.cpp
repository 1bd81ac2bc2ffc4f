#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "rocketmq/consumer_option.h"
#include "rocketmq/error.h"

using rocketmq::AllocateStrategy;
using rocketmq::ClientError;
using rocketmq::MessageQueue;

namespace {

std::vector<MessageQueue> make_queues(int count, const std::string& broker = "broker-a") {
  std::vector<MessageQueue> queues;
  for (int i = 0; i < count; ++i) queues.push_back(MessageQueue{"TopicTest", broker, i});
  return queues;
}

std::vector<std::string> make_consumers(int count) {
  std::vector<std::string> ids;
  // Zero-padded so that the list is sorted, as the rebalancer passes it.
  for (int i = 0; i < count; ++i)
    ids.push_back("10.0.0.1@" + std::string(i < 10 ? "0" : "") + std::to_string(i));
  return ids;
}

std::vector<int> queue_ids(const std::vector<MessageQueue>& queues) {
  std::vector<int> ids;
  for (const auto& queue : queues) ids.push_back(queue.queue_id);
  return ids;
}

// Every queue owned by exactly one consumer.
void check_partition(const AllocateStrategy& strategy, const std::vector<MessageQueue>& queues,
                     const std::vector<std::string>& consumers) {
  std::map<MessageQueue, int> owners;
  for (const auto& consumer : consumers) {
    for (const auto& queue : strategy.allocate("group", consumer, queues, consumers)) ++owners[queue];
  }
  INFO(strategy.name() << ": " << queues.size() << " queues, " << consumers.size() << " consumers");
  CHECK(owners.size() == queues.size());
  for (const auto& [queue, count] : owners) CHECK(count == 1);
}

}  // namespace

TEST_CASE("allocate_averagely gives contiguous blocks like Java AllocateMessageQueueAveragely",
          "[allocate]") {
  const auto strategy = rocketmq::allocate_averagely();
  CHECK(strategy->name() == "AVG");
  const auto queues = make_queues(8);
  const auto consumers = make_consumers(3);
  CHECK(queue_ids(strategy->allocate("g", consumers[0], queues, consumers)) == std::vector<int>{0, 1, 2});
  CHECK(queue_ids(strategy->allocate("g", consumers[1], queues, consumers)) == std::vector<int>{3, 4, 5});
  CHECK(queue_ids(strategy->allocate("g", consumers[2], queues, consumers)) == std::vector<int>{6, 7});
}

TEST_CASE("allocate_averagely leaves surplus consumers idle", "[allocate]") {
  const auto strategy = rocketmq::allocate_averagely();
  const auto queues = make_queues(2);
  const auto consumers = make_consumers(3);
  CHECK(queue_ids(strategy->allocate("g", consumers[0], queues, consumers)) == std::vector<int>{0});
  CHECK(queue_ids(strategy->allocate("g", consumers[1], queues, consumers)) == std::vector<int>{1});
  CHECK(strategy->allocate("g", consumers[2], queues, consumers).empty());
}

TEST_CASE("allocate_averagely_by_circle interleaves like Java AllocateMessageQueueAveragelyByCircle",
          "[allocate]") {
  const auto strategy = rocketmq::allocate_averagely_by_circle();
  CHECK(strategy->name() == "AVG_BY_CIRCLE");
  const auto queues = make_queues(8);
  const auto consumers = make_consumers(3);
  CHECK(queue_ids(strategy->allocate("g", consumers[0], queues, consumers)) == std::vector<int>{0, 3, 6});
  CHECK(queue_ids(strategy->allocate("g", consumers[1], queues, consumers)) == std::vector<int>{1, 4, 7});
  CHECK(queue_ids(strategy->allocate("g", consumers[2], queues, consumers)) == std::vector<int>{2, 5});
}

TEST_CASE("allocate_by_consistent_hash matches Java AllocateMessageQueueConsistentHash", "[allocate]") {
  // Expected owners computed with rocketmq-client 5.3.3 (MD5 ring, MessageQueue.toString() keys).
  auto queues = make_queues(4, "broker-a");
  for (const auto& queue : make_queues(4, "broker-b")) queues.push_back(queue);
  const std::vector<std::string> consumers = {"10.0.0.1@1", "10.0.0.2@1", "10.0.0.3@1"};
  const auto render = [&](const std::vector<MessageQueue>& owned) {
    std::vector<std::string> names;
    for (const auto& queue : owned)
      names.push_back(queue.broker_name.substr(7) + std::to_string(queue.queue_id));
    return names;
  };
  using Names = std::vector<std::string>;

  const auto ten = rocketmq::allocate_by_consistent_hash();
  CHECK(ten->name() == "CONSISTENT_HASH");
  CHECK(render(ten->allocate("g", consumers[0], queues, consumers)) == Names{"a1"});
  CHECK(render(ten->allocate("g", consumers[1], queues, consumers)) == Names{"a0", "b0", "b2", "b3"});
  CHECK(render(ten->allocate("g", consumers[2], queues, consumers)) == Names{"a2", "a3", "b1"});

  const auto three = rocketmq::allocate_by_consistent_hash(3);
  CHECK(three->allocate("g", consumers[0], queues, consumers).empty());
  CHECK(render(three->allocate("g", consumers[1], queues, consumers)) == Names{"a3", "b2", "b3"});
  CHECK(render(three->allocate("g", consumers[2], queues, consumers)) == Names{"a0", "a1", "a2", "b0", "b1"});
}

TEST_CASE("allocate_by_consistent_hash moves only queues to a newly added consumer", "[allocate]") {
  const auto strategy = rocketmq::allocate_by_consistent_hash(20);
  const auto queues = make_queues(64);
  const auto before = make_consumers(4);
  const auto after = make_consumers(5);
  std::map<MessageQueue, std::string> old_owner;
  for (const auto& consumer : before) {
    for (const auto& queue : strategy->allocate("g", consumer, queues, before)) old_owner[queue] = consumer;
  }
  int moved = 0;
  for (const auto& consumer : after) {
    for (const auto& queue : strategy->allocate("g", consumer, queues, after)) {
      if (old_owner[queue] != consumer) {
        ++moved;
        // A queue may only move to the newcomer, never between the old consumers.
        CHECK(consumer == after.back());
      }
    }
  }
  CHECK(moved > 0);
  CHECK(moved < 64 / 2);
}

TEST_CASE("allocate_by_consistent_hash rejects a virtual node count out of range", "[allocate]") {
  CHECK_THROWS_WITH(rocketmq::allocate_by_consistent_hash(0),
                    "allocate_by_consistent_hash virtual_nodes must be 1..10000, got 0");
  CHECK_THROWS_AS(rocketmq::allocate_by_consistent_hash(10001), ClientError);
}

TEST_CASE("every strategy assigns each queue exactly once", "[allocate]") {
  const std::vector<std::shared_ptr<AllocateStrategy>> strategies = {rocketmq::allocate_averagely(),
                                                                     rocketmq::allocate_averagely_by_circle(),
                                                                     rocketmq::allocate_by_consistent_hash()};
  for (const auto& strategy : strategies) {
    for (int queue_count = 1; queue_count <= 17; ++queue_count) {
      for (int consumer_count = 1; consumer_count <= 11; ++consumer_count) {
        check_partition(*strategy, make_queues(queue_count), make_consumers(consumer_count));
      }
    }
  }
}

TEST_CASE("averagely strategies balance within one queue", "[allocate]") {
  for (const auto& strategy : {rocketmq::allocate_averagely(), rocketmq::allocate_averagely_by_circle()}) {
    for (int queue_count = 1; queue_count <= 17; ++queue_count) {
      for (int consumer_count = 1; consumer_count <= 11; ++consumer_count) {
        const auto queues = make_queues(queue_count);
        const auto consumers = make_consumers(consumer_count);
        std::set<std::size_t> sizes;
        for (const auto& consumer : consumers)
          sizes.insert(strategy->allocate("g", consumer, queues, consumers).size());
        CHECK(*sizes.rbegin() - *sizes.begin() <= 1);
      }
    }
  }
}

TEST_CASE("strategies return nothing for an unknown consumer or no queues", "[allocate]") {
  const auto queues = make_queues(4);
  const auto consumers = make_consumers(2);
  const std::vector<std::shared_ptr<AllocateStrategy>> strategies = {
      rocketmq::allocate_averagely(), rocketmq::allocate_averagely_by_circle(),
      rocketmq::allocate_by_consistent_hash(), rocketmq::allocate_by_config(queues)};
  for (const auto& strategy : strategies) {
    INFO(strategy->name());
    CHECK(strategy->allocate("g", "stranger", queues, consumers).empty());
    CHECK(strategy->allocate("g", consumers[0], {}, consumers).empty());
    CHECK(strategy->allocate("g", consumers[0], queues, {}).empty());
  }
}

TEST_CASE("allocate_by_config takes the configured queues that exist in the topic", "[allocate]") {
  const auto queues = make_queues(4);
  const auto strategy = rocketmq::allocate_by_config(
      {MessageQueue{"TopicTest", "broker-a", 3}, MessageQueue{"TopicTest", "broker-a", 1},
       MessageQueue{"OtherTopic", "broker-a", 0}, MessageQueue{"TopicTest", "broker-a", 9}});
  CHECK(strategy->name() == "CONFIG");
  const auto consumers = make_consumers(2);
  // Every consumer takes the same list: that is the point of the strategy.
  CHECK(queue_ids(strategy->allocate("g", consumers[0], queues, consumers)) == std::vector<int>{1, 3});
  CHECK(queue_ids(strategy->allocate("g", consumers[1], queues, consumers)) == std::vector<int>{1, 3});
}
