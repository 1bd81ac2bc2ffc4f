// The seed's "Offset Management":
//   push_consumer_offsets [name-server] [topic] [group] [messages]
// Produces `messages` (default 100) "early" ones, notes the time, produces as many "late" ones, and
// starts a new group from the last offset (so nothing old is delivered). Then it moves the group to
// the noted time (every late message comes, no early one) and queue 0 of each broker back to offset
// 0 (that queue's messages come again). Exits 0 when both seeks delivered what they should.
#include <rocketmq/rocketmq.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace {

// What the listener saw since the last clear(); written on the consume threads.
struct Seen {
  std::mutex mutex;
  std::set<std::string> bodies;
  std::set<std::string> queue0_bodies;

  void clear() {
    std::lock_guard<std::mutex> lock(mutex);
    bodies.clear();
    queue0_bodies.clear();
  }
};
Seen seen;

struct RecordingListener : rocketmq::MessageListenerConcurrently {
  // Runs on the consume threads.
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    std::lock_guard<std::mutex> lock(seen.mutex);
    for (const auto& msg : messages) {
      seen.bodies.insert(msg.get_body());
      if (msg.get_queue_id() == 0) seen.queue0_bodies.insert(msg.get_body());
    }
    return rocketmq::ConsumeResult::Success;
  }
};

bool wait_for(const std::function<bool()>& condition, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

long long now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string name_server = argc > 1 ? argv[1] : "localhost:9876";
  const std::string topic = argc > 2 ? argv[2] : "TopicTest";
  const std::string group = argc > 3 ? argv[3] : "offsets_group";
  const long count = argc > 4 ? std::atol(argv[4]) : 100;

  rocketmq::ProducerOption producer_option;
  producer_option.set_name_server_addr(name_server);
  producer_option.set_group_name(group + "_producer");
  rocketmq::ConsumerOption consumer_option;
  consumer_option.set_name_server_addr(name_server);
  consumer_option.set_group_name(group);

  try {
    rocketmq::Producer producer(producer_option);
    producer.start();
    std::set<std::string> late;
    std::set<std::string> in_queue0;  // of either broker
    const auto send = [&](const std::string& body) {
      const auto result = producer.send(rocketmq::Message(topic, body));
      if (result.get_message_queue().queue_id == 0) in_queue0.insert(body);
    };
    for (long i = 0; i < count; ++i) send("early-" + std::to_string(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // store times differ from the pivot
    const long long timestamp = now_millis();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (long i = 0; i < count; ++i) {
      late.insert("late-" + std::to_string(i));
      send("late-" + std::to_string(i));
    }

    // Set starting position
    consumer_option.set_consume_from_where(rocketmq::ConsumeFromWhere::ConsumeFromLastOffset);
    rocketmq::PushConsumer consumer(consumer_option);
    consumer.subscribe(topic, "*");
    consumer.register_message_listener(std::make_unique<RecordingListener>());
    consumer.start();
    // A new group from the last offset starts at the end: wait until it owns its queues there.
    if (!wait_for([&] { return consumer.stats().owned_queues > 0 && consumer.lag().total == 0; },
                  std::chrono::seconds(60))) {
      std::cerr << "the consumer did not take its queues within 60 s\n";
      return 1;
    }

    // Reset offset to specific timestamp
    seen.clear();
    consumer.seek_by_timestamp(topic, timestamp);
    if (!wait_for(
            [&] {
              std::lock_guard<std::mutex> lock(seen.mutex);
              return seen.bodies.size() >= late.size();
            },
            std::chrono::seconds(60))) {
      std::cerr << "seek_by_timestamp: only " << seen.bodies.size() << " of " << late.size() << " late messages\n";
      return 1;
    }
    {
      std::lock_guard<std::mutex> lock(seen.mutex);
      if (seen.bodies != late) {
        std::cerr << "seek_by_timestamp delivered messages stored before " << timestamp << '\n';
        return 1;
      }
    }
    std::cout << "seek_by_timestamp(" << timestamp << "): the " << late.size() << " later messages came again\n";

    // Reset offset to specific offset
    seen.clear();
    consumer.seek_to_offset(topic, 0, 0);
    if (!wait_for(
            [&] {
              std::lock_guard<std::mutex> lock(seen.mutex);
              return seen.queue0_bodies.size() >= in_queue0.size();
            },
            std::chrono::seconds(60))) {
      std::cerr << "seek_to_offset: only " << seen.queue0_bodies.size() << " of " << in_queue0.size()
                << " messages of queue 0\n";
      return 1;
    }
    {
      std::lock_guard<std::mutex> lock(seen.mutex);
      if (seen.bodies != seen.queue0_bodies) {
        std::cerr << "seek_to_offset(topic, 0, 0) delivered messages of other queues\n";
        return 1;
      }
    }
    std::cout << "seek_to_offset(" << topic << ", 0, 0): the " << in_queue0.size() << " messages of queue 0 came again\n";
    consumer.shutdown();
    producer.shutdown();
    return 0;
  } catch (const rocketmq::Error& error) {
    std::cerr << "error: " << error.what() << '\n';
    return 1;
  }
}
