#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include "integration/consumer_support.h"

using namespace std::chrono_literals;
using namespace rocketmq::test;
using rocketmq::ConsumeResult;
using rocketmq::MessageExt;
using rocketmq::PushConsumer;

namespace {

std::set<std::string> as_set(const std::vector<std::string>& ids) { return {ids.begin(), ids.end()}; }

bool fully_committed(const std::string& group, const std::string& topic) {
  const auto rows = progress(group, topic);
  if (rows.empty()) return false;
  for (const auto& row : rows) {
    if (row.consumer_offset != row.broker_offset) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("20,000 messages from the Java peer reach one consumer exactly once, and progress is fully committed",
          "[consumer][cluster]") {
  const auto topic = unique_name("it_pc_bulk");
  const auto group = unique_name("it_pc_bulk_g");
  create_topic(topic);
  const auto sent = produce(topic, 20000, "--tags TagA,TagB --keys-prefix k- --property region=us-west");
  REQUIRE(sent.size() == 20000);

  auto listener = std::make_unique<RecordingListener>();
  auto* recorder = listener.get();
  PushConsumer consumer(consumer_option(group, unique_name("bulk")));
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::move(listener));
  const auto started = std::chrono::steady_clock::now();
  consumer.start();
  REQUIRE(wait_until([&] { return recorder->distinct() >= 20000; }, 120s));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  WARN("drained 20,000 messages in " << seconds << " s (" << 20000 / seconds << " msg/s)");
  consumer.shutdown();

  std::set<std::string> received;
  for (const auto& [id, count] : recorder->deliveries()) received.insert(id);
  CHECK(received == as_set(sent));
  CHECK(recorder->duplicates() == 0);
  for (const auto& message : recorder->messages()) {
    if (message.get_property("region") != "us-west" || message.get_topic() != topic) {
      FAIL("unexpected message " << message.get_msg_id());
    }
  }
  // mqadmin consumerProgress equivalent: zero diff on every queue.
  CHECK(wait_until([&] { return fully_committed(group, topic); }, 10s));
}

TEST_CASE("consume half, shut down, restart in the same group: nothing lost and no duplicates",
          "[consumer][cluster]") {
  const auto topic = unique_name("it_pc_restart");
  const auto group = unique_name("it_pc_restart_g");
  create_topic(topic);
  const auto sent = produce(topic, 2000);

  auto first_listener = std::make_unique<RecordingListener>();
  auto* first = first_listener.get();
  // The consumer owns its listener: keep it (shut down) until the end so `first` stays valid.
  PushConsumer first_consumer(consumer_option(group, unique_name("half1")));
  first_consumer.subscribe(topic, "*");
  first_consumer.register_message_listener(std::move(first_listener));
  first_consumer.start();
  REQUIRE(wait_until([&] { return first->total() >= 1000; }, 60s));
  first_consumer.shutdown();
  const auto first_count = first->distinct();
  INFO("first consumer took " << first_count << " before shutting down");
  CHECK(first_count < 2000);

  auto second_listener = std::make_unique<RecordingListener>();
  auto* second = second_listener.get();
  PushConsumer consumer(consumer_option(group, unique_name("half2")));
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::move(second_listener));
  consumer.start();
  REQUIRE(wait_until([&] { return first->distinct() + second->distinct() >= 2000; }, 60s));
  consumer.shutdown();

  std::set<std::string> all;
  long overlap = 0;
  for (const auto& [id, count] : first->deliveries()) all.insert(id);
  for (const auto& [id, count] : second->deliveries()) overlap += all.insert(id).second ? 0 : 1;
  CHECK(all == as_set(sent));
  CHECK(overlap == 0);
  CHECK(first->duplicates() + second->duplicates() == 0);
}

TEST_CASE("ReconsumeLater sends messages back: they return with reconsume times 1 and the original topic",
          "[consumer][cluster][retry]") {
  const auto topic = unique_name("it_pc_retry");
  const auto group = unique_name("it_pc_retry_g");
  create_topic(topic);
  const auto sent = produce(topic, 100, "--keys-prefix key-");

  std::mutex mutex;
  std::set<std::string> failed_once;
  auto listener = std::make_unique<RecordingListener>([&](const std::vector<MessageExt>& batch) {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& message : batch) {
      const auto& keys = message.get_keys();
      if (!keys.empty() && keys.back() == '7' && failed_once.insert(message.get_msg_id()).second) {
        return ConsumeResult::ReconsumeLater;
      }
    }
    return ConsumeResult::Success;
  });
  auto* recorder = listener.get();
  PushConsumer consumer(consumer_option(group, unique_name("retry")));
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::move(listener));
  consumer.start();
  REQUIRE(wait_until([&] { return recorder->total() >= 110; }, 90s));
  consumer.shutdown();

  std::map<std::string, std::vector<MessageExt>> by_id;
  for (const auto& message : recorder->messages()) by_id[message.get_msg_id()].push_back(message);
  CHECK(by_id.size() == 100);
  int redelivered = 0;
  for (const auto& [id, deliveries] : by_id) {
    const auto& keys = deliveries.front().get_keys();
    if (keys.back() == '7') {
      REQUIRE(deliveries.size() == 2);
      CHECK(deliveries[0].get_reconsume_times() == 0);
      CHECK(deliveries[1].get_reconsume_times() == 1);
      CHECK(deliveries[1].get_topic() == topic);
      CHECK(deliveries[1].get_keys() == keys);
      CHECK(deliveries[1].get_body() == deliveries[0].get_body());
      ++redelivered;
    } else {
      CHECK(deliveries.size() == 1);
    }
  }
  CHECK(redelivered == 10);
}

TEST_CASE("a message that always fails ends in %DLQ%<group> after max_reconsume_times",
          "[consumer][cluster][retry]") {
  const auto topic = unique_name("it_pc_dlq");
  const auto group = unique_name("it_pc_dlq_g");
  create_topic(topic);
  const auto sent = produce(topic, 1, "--keys-prefix doomed-");

  auto listener =
      std::make_unique<RecordingListener>([](const std::vector<MessageExt>&) { return ConsumeResult::ReconsumeLater; });
  auto* recorder = listener.get();
  auto option = consumer_option(group, unique_name("dlq"));
  option.set_max_reconsume_times(2);
  PushConsumer consumer(option);
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::move(listener));
  consumer.start();
  // The first delivery and two retries; then the broker dead-letters it.
  REQUIRE(wait_until([&] { return recorder->total() >= 3; }, 60s));
  auto dlq = run_interop("consume --namesrv " + shell_quote(namesrv_addr()) + " --group " +
                         unique_name("it_pc_dlq_reader") + " --topic " + shell_quote("%DLQ%" + group) +
                         " --from first --count 1 --timeout-ms 60000");
  consumer.shutdown();
  REQUIRE(dlq.exit_code == 0);
  REQUIRE(dlq.stdout_lines.size() == 1);
  auto dead = parse_json(dlq.stdout_lines[0]);
  CHECK(std::string(dead["msgId"].GetString()) == sent[0]);
  CHECK(std::string(dead["keys"].GetString()) == "doomed-0");
  CHECK(recorder->total() == 3);
  const auto deliveries = recorder->messages();
  for (std::size_t i = 0; i < deliveries.size(); ++i) CHECK(deliveries[i].get_reconsume_times() == static_cast<int>(i));
}

TEST_CASE("broadcasting: every consumer of the group gets every message, and local offsets survive a restart",
          "[consumer][cluster][broadcast]") {
  const auto topic = unique_name("it_pc_bcast");
  const auto group = unique_name("it_pc_bcast_g");
  const auto offsets_dir = std::filesystem::temp_directory_path() / unique_name("rmq_offsets");
  create_topic(topic);
  const auto first_batch = produce(topic, 200);

  auto make_option = [&](const std::string& instance) {
    auto option = consumer_option(group, instance);
    option.set_message_model(rocketmq::MessageModel::Broadcasting);
    option.set_offset_store_dir(offsets_dir.string());
    return option;
  };
  const auto instance_a = unique_name("bcast_a");
  auto listener_a = std::make_unique<RecordingListener>();
  auto listener_b = std::make_unique<RecordingListener>();
  auto* a = listener_a.get();
  auto* b = listener_b.get();
  PushConsumer consumer_a(make_option(instance_a));
  PushConsumer consumer_b(make_option(unique_name("bcast_b")));
  consumer_a.subscribe(topic, "*");
  consumer_b.subscribe(topic, "*");
  consumer_a.register_message_listener(std::move(listener_a));
  consumer_b.register_message_listener(std::move(listener_b));
  consumer_a.start();
  consumer_b.start();
  REQUIRE(wait_until([&] { return a->distinct() >= 200 && b->distinct() >= 200; }, 60s));
  consumer_a.shutdown();
  consumer_b.shutdown();
  std::set<std::string> got_a, got_b;
  for (const auto& [id, count] : a->deliveries()) got_a.insert(id);
  for (const auto& [id, count] : b->deliveries()) got_b.insert(id);
  CHECK(got_a == as_set(first_batch));
  CHECK(got_b == as_set(first_batch));

  // Restart A with the same instance name and offset directory: only the new messages arrive.
  const auto second_batch = produce(topic, 50);
  auto listener_again = std::make_unique<RecordingListener>();
  auto* again = listener_again.get();
  PushConsumer restarted(make_option(instance_a));
  restarted.subscribe(topic, "*");
  restarted.register_message_listener(std::move(listener_again));
  restarted.start();
  REQUIRE(wait_until([&] { return again->distinct() >= 50; }, 60s));
  restarted.shutdown();
  std::set<std::string> got_again;
  for (const auto& [id, count] : again->deliveries()) got_again.insert(id);
  CHECK(got_again == as_set(second_batch));
  std::filesystem::remove_all(offsets_dir);
}

TEST_CASE("consume from first offset, last offset and a timestamp", "[consumer][cluster]") {
  const auto topic = unique_name("it_pc_where");
  create_topic(topic);
  const auto backlog = produce(topic, 100);
  const auto boundary = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() +
                        5;
  REQUIRE(wait_until(
      [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                   .count() > boundary + 5;
      },
      2s));
  const auto later = produce(topic, 30);

  // Runs a new group until it consumed `expect` distinct messages and every one of `must_have` (or of
  // the messages produced after its start when `after_start` is given).
  auto run_group = [&](rocketmq::ConsumeFromWhere where, const std::vector<std::string>* after_start,
                       std::size_t expect, const std::vector<std::string>* must_have = nullptr) {
    auto option = consumer_option(unique_name("it_pc_where_g"), unique_name("where"));
    option.set_consume_from_where(where);
    option.set_consume_timestamp(boundary);
    auto listener = std::make_unique<RecordingListener>();
    auto* recorder = listener.get();
    PushConsumer consumer(option);
    consumer.subscribe(topic, "*");
    consumer.register_message_listener(std::move(listener));
    consumer.start();
    std::vector<std::string> fresh;
    if (after_start != nullptr) {
      // Produce only once every queue has a starting position.
      // 16 queues of the topic and the retry topic's queue on each broker.
      REQUIRE(wait_until([&] { return consumer.stats().owned_queues >= 18; }, 30s));
      fresh = produce(topic, 20);
    }
    const auto* required = after_start != nullptr ? &fresh : must_have;
    REQUIRE(wait_until(
        [&] {
          if (recorder->distinct() < expect) return false;
          if (required == nullptr) return true;
          const auto deliveries = recorder->deliveries();
          for (const auto& id : *required) {
            if (deliveries.count(id) == 0) return false;
          }
          return true;
        },
        60s));
    consumer.shutdown();
    std::set<std::string> got;
    for (const auto& [id, count] : recorder->deliveries()) got.insert(id);
    return std::make_pair(got, fresh);
  };

  SECTION("first offset: the whole backlog") {
    auto [got, fresh] = run_group(rocketmq::ConsumeFromWhere::ConsumeFromFirstOffset, nullptr, 130);
    std::set<std::string> expected = as_set(backlog);
    for (const auto& id : later) expected.insert(id);
    CHECK(got == expected);
  }
  SECTION("last offset: only what arrives after the start") {
    std::vector<std::string> marker;
    auto [got, fresh] = run_group(rocketmq::ConsumeFromWhere::ConsumeFromLastOffset, &marker, 20);
    if (rocketmq::test::broker_is_4x()) {
      // A 4.9 broker answers a new group's offset query with 0 while a queue's first message is
      // still in memory (ConsumerManageProcessor.queryConsumerOffset; it ignores setZeroIfNotFound):
      // the group then starts at the beginning of such queues, as the Java client does there.
      for (const auto& id : fresh) CHECK(got.count(id) == 1);
      WARN("4.9: ConsumeFromLastOffset delivered " << got.size() - fresh.size()
                                                   << " message(s) stored before the start (broker answers offset 0)");
    } else {
      CHECK(got == as_set(fresh));
    }
  }
  SECTION("timestamp: the messages stored from that time on") {
    auto [got, fresh] = run_group(rocketmq::ConsumeFromWhere::ConsumeFromTimestamp, nullptr, 30, &later);
    if (rocketmq::test::broker_is_4x()) {
      // As above: a 4.9 broker answers the new group's offset query with 0 where the first message
      // is in memory, so the start time is not consulted there (and a search by time would answer
      // the nearest message, possibly one before it).
      for (const auto& id : later) CHECK(got.count(id) == 1);
      WARN("4.9: ConsumeFromTimestamp delivered " << got.size() - later.size()
                                                  << " message(s) stored before the time (broker answers offset 0)");
    } else {
      CHECK(got == as_set(later));
    }
  }
}

TEST_CASE("batches honour consume_batch_size", "[consumer][cluster]") {
  const auto topic = unique_name("it_pc_batch");
  create_topic(topic);
  produce(topic, 500, "--queue-id 0 --broker broker-a");
  for (int batch_size : {1, 8}) {
    auto option = consumer_option(unique_name("it_pc_batch_g"), unique_name("batch"));
    option.set_consume_batch_size(batch_size);
    auto listener = std::make_unique<RecordingListener>();
    auto* recorder = listener.get();
    PushConsumer consumer(option);
    consumer.subscribe(topic, "*");
    consumer.register_message_listener(std::move(listener));
    consumer.start();
    REQUIRE(wait_until([&] { return recorder->distinct() >= 500; }, 60s));
    consumer.shutdown();
    CHECK(recorder->max_batch() == static_cast<std::size_t>(batch_size));
  }
}

TEST_CASE("a slow listener grows the pool past its minimum, which shrinks back when idle",
          "[consumer][cluster][pool]") {
  const auto topic = unique_name("it_pc_pool");
  create_topic(topic);
  produce(topic, 400);
  auto option = consumer_option(unique_name("it_pc_pool_g"), unique_name("pool"));
  option.set_consume_thread_min(2);
  option.set_consume_thread_max(16);
  option.set_consume_thread_keep_alive(500ms);
  auto listener = std::make_unique<RecordingListener>([](const std::vector<MessageExt>& batch) {
    std::this_thread::sleep_for(20ms * batch.size());  // the slow work under test
    return ConsumeResult::Success;
  });
  auto* recorder = listener.get();
  PushConsumer consumer(option);
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::move(listener));
  consumer.start();
  REQUIRE(wait_until([&] { return consumer.stats().consume_threads > 2; }, 30s));
  REQUIRE(wait_until([&] { return recorder->distinct() >= 400; }, 120s));
  const auto busy = consumer.stats();
  CHECK(busy.consume_threads_peak > 2);
  CHECK(busy.consume_threads_peak <= 16);
  WARN("consume pool peaked at " << busy.consume_threads_peak << " threads");
  CHECK(wait_until([&] { return consumer.stats().consume_threads == 2; }, 10s));
  consumer.shutdown();
}

TEST_CASE("flow control: a stalled listener keeps at most process_queue_size plus one pull batch cached",
          "[consumer][cluster][flow]") {
  const auto topic = unique_name("it_pc_flow");
  create_topic(topic, 1);
  produce(topic, 1000, "--queue-id 0 --broker broker-a");
  std::mutex mutex;
  std::condition_variable released;
  bool release = false;
  auto listener = std::make_unique<RecordingListener>([&](const std::vector<MessageExt>&) {
    std::unique_lock<std::mutex> lock(mutex);
    released.wait(lock, [&] { return release; });
    return ConsumeResult::Success;
  });
  auto* recorder = listener.get();
  auto option = consumer_option(unique_name("it_pc_flow_g"), unique_name("flow"));
  option.set_process_queue_size(64);
  option.set_consume_thread_min(2);
  option.set_consume_thread_max(2);
  // Declared after the consumer: released (whatever fails below) before the consumer is destroyed,
  // so the stalled listener calls never outlive what they wait on.
  struct Release {
    std::mutex& mutex;
    std::condition_variable& released;
    bool& release;
    ~Release() {
      {
        std::lock_guard<std::mutex> lock(mutex);
        release = true;
      }
      released.notify_all();
    }
  };
  PushConsumer consumer(option);
  Release release_on_exit{mutex, released, release};
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::move(listener));
  consumer.start();
  REQUIRE(wait_until([&] { return consumer.stats().flow_control_pauses > 5; }, 30s));
  CHECK(consumer.stats().flow_controlled_queues == 1);
  const auto stalled = consumer.stats();
  CHECK(stalled.cached_messages >= 64);
  CHECK(stalled.cached_messages <= 64 + 32);
  {
    std::lock_guard<std::mutex> lock(mutex);
    release = true;
  }
  released.notify_all();
  REQUIRE(wait_until([&] { return recorder->distinct() >= 1000; }, 60s));
  CHECK(consumer.stats().cached_messages == 0);
  consumer.shutdown();
}
