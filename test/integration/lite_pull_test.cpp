// The lite pull consumer against the release under test: assigned queues and subscriptions shared
// in a group, automatic and manual commits, seek and pause. A 5.x broker gets LITE_PULL_MESSAGE, a
// 4.x broker (which does not know that request code) PULL_MESSAGE.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/consumer_support.h"
#include "rocketmq/lite_pull_consumer.h"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using rocketmq::test::unique_name;

namespace {

// Messages polled, by msgId, with the order each queue delivered its offsets in.
class PollRecord {
 public:
  void add(const std::vector<rocketmq::MessageExt>& messages) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& message : messages) {
      if (!ids_.insert(message.get_msg_id()).second) ++duplicates_;
      rocketmq::MessageQueue queue{message.get_topic(), message.get_broker_name(), message.get_queue_id()};
      auto [last, first] = last_offset_.emplace(queue, message.get_queue_offset());
      if (!first && message.get_queue_offset() <= last->second) ++out_of_order_;
      last->second = message.get_queue_offset();
      tags_.insert(message.get_tags());
    }
  }
  std::size_t distinct() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return ids_.size();
  }
  std::set<std::string> ids() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return ids_;
  }
  std::set<std::string> tags() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return tags_;
  }
  long duplicates() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return duplicates_;
  }
  long out_of_order() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return out_of_order_;
  }

 private:
  mutable std::mutex mutex_;
  std::set<std::string> ids_;
  std::set<std::string> tags_;
  std::map<rocketmq::MessageQueue, std::int64_t> last_offset_{};
  long duplicates_ = 0;
  long out_of_order_ = 0;
};

// Polls `consumer` into `record` until `done` or the deadline; false at the deadline.
bool poll_until(rocketmq::LitePullConsumer& consumer, PollRecord& record, const std::function<bool()>& done,
                std::chrono::seconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    record.add(consumer.poll(200ms));
  }
  return true;
}

void check_request_codes(const rocketmq::LitePullStats& stats, std::size_t queues) {
  INFO("LITE_PULL_MESSAGE " << stats.lite_pull_requests << ", PULL_MESSAGE " << stats.classic_pull_requests);
  if (rocketmq::test::broker_is_4x()) {
    // Known from the heartbeat answer; a pull sent before that answer is refused once per broker
    // and sent again as PULL_MESSAGE.
    CHECK(stats.classic_pull_requests > 0);
    CHECK(stats.lite_pull_requests <= static_cast<std::int64_t>(queues));
  } else {
    CHECK(stats.lite_pull_requests > 0);
    CHECK(stats.classic_pull_requests == 0);
  }
}

}  // namespace

TEST_CASE("a lite pull consumer assigned every queue polls each message once and commits it automatically",
          "[lite-pull][consumer][cluster]") {
  const auto topic = unique_name("it_lite_assign");
  const auto group = unique_name("it_lite_assign_g");
  rocketmq::test::create_topic(topic, 4);
  const auto sent = rocketmq::test::produce(topic, 600, "--tags TagA,TagB");

  rocketmq::LitePullConsumer consumer(rocketmq::test::consumer_option(group, unique_name("lite")));
  consumer.start();
  const auto queues = consumer.fetch_message_queues(topic);
  REQUIRE(queues.size() == 8);  // 4 on each broker
  consumer.assign(queues);
  PollRecord record;
  REQUIRE(poll_until(consumer, record, [&] { return record.distinct() >= sent.size(); }, 60s));
  CHECK(record.ids() == std::set<std::string>(sent.begin(), sent.end()));
  CHECK(record.duplicates() == 0);
  CHECK(record.out_of_order() == 0);
  CHECK(consumer.assignment() == queues);
  const auto stats = consumer.stats();
  CHECK(stats.polled == static_cast<std::int64_t>(sent.size()));
  CHECK(stats.owned_queues == 8);
  check_request_codes(stats, queues.size());
  consumer.shutdown();

  // Auto commit: shutdown committed everything polled.
  const auto rows = rocketmq::test::progress(group, topic);
  REQUIRE(rows.size() == 8);
  for (const auto& row : rows) {
    INFO(row.broker << " queue " << row.queue_id);
    CHECK(row.consumer_offset == row.broker_offset);
  }
}

TEST_CASE("lite pull consumers subscribed in one group split the queues, filter by tag and lose nothing",
          "[lite-pull][consumer][cluster]") {
  const auto topic = unique_name("it_lite_group");
  const auto group = unique_name("it_lite_group_g");
  rocketmq::test::create_topic(topic, 4);
  auto option = rocketmq::test::consumer_option(group, unique_name("lite_a"));
  option.set_rebalance_interval(2s);
  rocketmq::LitePullConsumer first(option);
  option.set_instance_name(unique_name("lite_b"));
  rocketmq::LitePullConsumer second(option);
  first.subscribe(topic, "TagA");
  second.subscribe(topic, "TagA");
  first.start();
  second.start();
  // Both members own queues before anything is sent, so each one's share is visible.
  REQUIRE(rocketmq::test::wait_until(
      [&] {
        const auto a = first.assignment().size();
        const auto b = second.assignment().size();
        return a > 0 && b > 0 && a + b == 8;
      },
      60s));
  const auto sent = rocketmq::test::produce(topic, 400, "--tags TagA,TagB");

  PollRecord record;
  PollRecord first_share;
  PollRecord second_share;
  std::atomic<bool> stop{false};
  std::thread other([&] {
    while (!stop) {
      auto messages = second.poll(200ms);
      second_share.add(messages);
      record.add(messages);
    }
  });
  const bool all = poll_until(
      first, first_share,
      [&] {
        return first_share.distinct() + second_share.distinct() >= sent.size() / 2;
      },
      60s);
  stop = true;
  other.join();
  REQUIRE(all);
  CHECK(first_share.distinct() + second_share.distinct() == sent.size() / 2);  // every other one is TagA
  CHECK(first_share.tags() == std::set<std::string>{"TagA"});
  CHECK(second_share.tags() == std::set<std::string>{"TagA"});
  CHECK(first_share.distinct() > 0);
  CHECK(second_share.distinct() > 0);
  CHECK(first_share.duplicates() + second_share.duplicates() == 0);
  first.shutdown();
  second.shutdown();
}

TEST_CASE("a lite pull consumer with manual commits: only commit() moves the group, seek reads again, pause holds",
          "[lite-pull][consumer][cluster]") {
  const auto topic = unique_name("it_lite_manual");
  const auto group = unique_name("it_lite_manual_g");
  rocketmq::test::create_topic(topic, 1);
  const auto sent = rocketmq::test::produce(topic, 40);

  rocketmq::LitePullConsumer consumer(rocketmq::test::consumer_option(group, unique_name("lite")));
  CHECK_THROWS_WITH(consumer.poll(10ms), Contains("started"));
  consumer.set_auto_commit(false);
  consumer.start();
  CHECK_THROWS_WITH(consumer.set_auto_commit(true), Contains("before start()"));
  const auto queues = consumer.fetch_message_queues(topic);
  REQUIRE(queues.size() == 2);
  consumer.assign(queues);
  CHECK_THROWS_WITH(consumer.subscribe(topic, "*"), Contains("before start()"));
  PollRecord record;
  REQUIRE(poll_until(consumer, record, [&] { return record.distinct() >= sent.size(); }, 60s));
  CHECK(record.duplicates() == 0);

  // Nothing committed yet: the group has no position on either queue (a 4.x broker answers 0 for
  // a group without one, while the queue's first message is still in memory).
  const std::int64_t no_position = rocketmq::test::broker_is_4x() ? 0 : -1;
  for (const auto& queue : queues) CHECK(consumer.committed_offset(queue) == no_position);
  consumer.commit();
  std::int64_t committed = 0;
  for (const auto& queue : queues) {
    const auto offset = consumer.committed_offset(queue);
    CHECK(offset > 0);
    committed += offset;
  }
  CHECK(committed == static_cast<std::int64_t>(sent.size()));

  const auto& queue = queues.front();
  CHECK_THROWS_WITH(consumer.seek(queue, 1000000), Contains("outside"));
  rocketmq::MessageQueue unknown{topic, "no-such-broker", 0};
  CHECK_THROWS_WITH(consumer.seek(unknown, 0), Contains("not read by this consumer"));

  // Paused and moved back: nothing of it comes while paused; after resume it starts over at 0.
  consumer.pause({queue});
  consumer.seek_to_begin(queue);
  const auto held_until = std::chrono::steady_clock::now() + 1500ms;
  std::size_t while_paused = 0;
  while (std::chrono::steady_clock::now() < held_until) while_paused += consumer.poll(100ms).size();
  CHECK(while_paused == 0);
  consumer.resume({queue});
  std::int64_t first_offset = -1;
  std::size_t again = 0;
  REQUIRE(rocketmq::test::wait_until(
      [&] {
        for (const auto& message : consumer.poll(200ms)) {
          if (first_offset < 0) first_offset = message.get_queue_offset();
          ++again;
        }
        return again >= static_cast<std::size_t>(consumer.committed_offset(queue));
      },
      30s));
  CHECK(first_offset == 0);
  consumer.shutdown();
}
