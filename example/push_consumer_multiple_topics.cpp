// The seed's "Single Topic", "Multiple Topics" and "Tag Filtering" subscriptions:
//   push_consumer_multiple_topics [name-server] [group] [seconds]
// Subscribes TopicA to everything, TopicB to two tags and OrderEvents to two order tags, then
// prints what arrives for the given number of seconds.
#include <rocketmq/rocketmq.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

namespace {

struct PrintingListener : rocketmq::MessageListenerConcurrently {
  std::mutex mutex;
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& msg : messages) {
      std::cout << msg.get_topic() << " [" << msg.get_tags() << "] " << msg.get_msg_id() << '\n';
    }
    return rocketmq::ConsumeResult::Success;
  }
};

}  // namespace

int main(int argc, char** argv) {
  rocketmq::ConsumerOption option;
  option.set_name_server_addr(argc > 1 ? argv[1] : "localhost:9876");
  option.set_group_name(argc > 2 ? argv[2] : "multi_topic_group");
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
  try {
    rocketmq::PushConsumer consumer(option);
    // Single topic, every tag.
    consumer.subscribe("TopicA", "*");
    // Several topics with their own expressions.
    consumer.subscribe("TopicB", "tag1 || tag2");
    // Tag filtering: only the listed tags reach the listener.
    consumer.subscribe("OrderEvents", "order_created || order_paid");
    consumer.register_message_listener(std::make_unique<PrintingListener>());
    consumer.start();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    consumer.shutdown();
  } catch (const rocketmq::Error& error) {
    std::cerr << "error: " << error.what() << '\n';
    return 1;
  }
  return 0;
}
