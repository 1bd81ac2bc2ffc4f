// The seed's "Subscription Patterns": one topic with everything, and several topics with their own
// expressions in one consumer (a tag list and an SQL92 selector given as a plain string):
//   subscription_patterns [name-server] [group] [seconds]
// A plain string is read as tags when it is "*", "a || b" or "!(a || b)", and as SQL92 otherwise;
// SQL92 needs brokers with enablePropertyFilter=true, or is evaluated by the client when they refuse.
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
      std::cout << msg.get_topic() << " [" << msg.get_tags() << "] region=" << msg.get_property("region")
                << ' ' << msg.get_msg_id() << '\n';
    }
    return rocketmq::ConsumeResult::Success;
  }
};

}  // namespace

int main(int argc, char** argv) {
  rocketmq::ConsumerOption option;
  option.set_name_server_addr(argc > 1 ? argv[1] : "localhost:9876");
  option.set_group_name(argc > 2 ? argv[2] : "subscription_patterns_group");
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
  try {
    rocketmq::PushConsumer consumer(option);
    // Single topic: everything.
    consumer.subscribe("TopicTest", "*");
    // Multiple topics, each with its own expression.
    consumer.subscribe("TopicA", "*");
    consumer.subscribe("TopicB", "tag1 || tag2");
    consumer.subscribe("TopicC", "region = 'us-west'");
    consumer.register_message_listener(std::make_unique<PrintingListener>());
    consumer.start();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    consumer.shutdown();
  } catch (const rocketmq::Error& error) {
    // For instance an expression that is neither tags nor SQL92: the message names the column.
    std::cerr << "error: " << error.what() << '\n';
    return 1;
  }
  return 0;
}
