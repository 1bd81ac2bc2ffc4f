// The seed's "Pause and Resume", with the lag to watch while paused:
//   push_consumer_pause [name-server] [topic] [group] [messages]
// Produces `messages` (default 200), starts consuming, suspends the consumer, produces as many
// again while it is paused (none of them is delivered, lag() shows them waiting), then resumes and
// exits 0 once every message arrived. Also shows pausing one topic and some queues.
#include <rocketmq/rocketmq.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

namespace {

std::atomic<long> consumed{0};
std::atomic<bool> paused{false};
std::atomic<long> delivered_while_paused{0};

struct CountingListener : rocketmq::MessageListenerConcurrently {
  // Runs on the consume threads.
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    if (paused.load()) delivered_while_paused += static_cast<long>(messages.size());
    consumed += static_cast<long>(messages.size());
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

}  // namespace

int main(int argc, char** argv) {
  const std::string name_server = argc > 1 ? argv[1] : "localhost:9876";
  const std::string topic = argc > 2 ? argv[2] : "TopicTest";
  const std::string group = argc > 3 ? argv[3] : "pause_group";
  const long count = argc > 4 ? std::atol(argv[4]) : 200;

  rocketmq::ProducerOption producer_option;
  producer_option.set_name_server_addr(name_server);
  producer_option.set_group_name(group + "_producer");
  rocketmq::ConsumerOption consumer_option;
  consumer_option.set_name_server_addr(name_server);
  consumer_option.set_group_name(group);
  consumer_option.set_consume_from_where(rocketmq::ConsumeFromWhere::ConsumeFromFirstOffset);
  try {
    rocketmq::Producer producer(producer_option);
    producer.start();
    for (long i = 0; i < count; ++i) producer.send(rocketmq::Message(topic, "before-" + std::to_string(i)));

    rocketmq::PushConsumer consumer(consumer_option);
    consumer.subscribe(topic, "*");
    consumer.register_message_listener(std::make_unique<CountingListener>());
    consumer.start();
    if (!wait_for([] { return consumed.load() > 0; }, std::chrono::seconds(60))) {
      std::cerr << "nothing consumed within 60 s\n";
      return 1;
    }

    // Pause consumption: once suspend() returns no listener call starts.
    consumer.suspend();
    paused = true;
    for (long i = 0; i < count; ++i) producer.send(rocketmq::Message(topic, "paused-" + std::to_string(i)));
    const auto lag = consumer.lag();
    std::cout << "suspended: " << consumed.load() << " consumed, lag " << lag.total << " over " << lag.queues.size()
              << " queues\n";

    // Pausing part of the assignment: one topic, or some queues (resume(topic) lifts both).
    paused = false;  // before resume(): what it releases may be delivered before it returns
    consumer.resume();
    consumer.suspend(topic);
    std::cout << "topic " << topic << " suspended: " << consumer.suspended_queues().size() << " queue(s) paused\n";

    // Resume consumption: what waited is delivered now.
    consumer.resume(topic);
    if (!wait_for([&] { return consumed.load() >= 2 * count && consumer.lag().total == 0; }, std::chrono::seconds(60))) {
      std::cerr << "only " << consumed.load() << " of " << 2 * count << " consumed after resume()\n";
      return 1;
    }
    std::cout << "resumed: " << consumed.load() << " consumed, lag " << consumer.lag().total << ", "
              << delivered_while_paused.load() << " delivered while paused\n";
    consumer.shutdown();
    producer.shutdown();
    return delivered_while_paused.load() == 0 ? 0 : 1;
  } catch (const rocketmq::Error& error) {
    std::cerr << "error: " << error.what() << '\n';
    return 1;
  }
}
