// The seed's "Creating a Push Consumer" and "Sequential Message Listener":
//   push_consumer [name-server] [topic] [group] [messages-to-wait-for] [seconds]
// Prints one line per message and exits after the given count (or the timeout).
#include <rocketmq/rocketmq.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

namespace {

std::atomic<long> received{0};
std::mutex print_mutex;

struct MyListener : rocketmq::MessageListenerConcurrently {
  // Runs on the consumer's consume threads.
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    for (const auto& msg : messages) {
      std::lock_guard<std::mutex> lock(print_mutex);
      std::cout << "Processing: " << msg.get_msg_id() << " topic=" << msg.get_topic() << " tags=" << msg.get_tags()
                << " queue=" << msg.get_broker_name() << ":" << msg.get_queue_id()
                << " offset=" << msg.get_queue_offset() << " body=" << msg.get_body().substr(0, 32) << '\n';
    }
    received += static_cast<long>(messages.size());
    return rocketmq::ConsumeResult::Success;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string name_server = argc > 1 ? argv[1] : "localhost:9876";
  const std::string topic = argc > 2 ? argv[2] : "TopicTest";
  const std::string group = argc > 3 ? argv[3] : "my_consumer_group";
  const long expected = argc > 4 ? std::atol(argv[4]) : 10;
  const int seconds = argc > 5 ? std::atoi(argv[5]) : 60;

  rocketmq::ConsumerOption consumer_option;
  consumer_option.set_name_server_addr(name_server);
  consumer_option.set_group_name(group);
  consumer_option.set_consume_from_where(rocketmq::ConsumeFromWhere::ConsumeFromFirstOffset);

  try {
    rocketmq::PushConsumer consumer(consumer_option);
    consumer.subscribe(topic, "*");
    consumer.register_message_listener(std::make_unique<MyListener>());
    consumer.start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (received < expected && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    consumer.shutdown();
  } catch (const rocketmq::Error& error) {
    std::cerr << "error: " << error.what() << '\n';
    return 1;
  }
  std::cout << "received " << received << " of " << expected << " message(s)\n";
  return received >= expected ? 0 : 3;
}
