// The seed's "Tag Filtering": specific tags, every tag, and tag exclusion.
//   tag_filtering [name-server] [mode: include|all|exclude] [seconds]
// "order_created || order_paid" is filtered by the broker (tag hash codes) and re-checked here;
// "!(order_cancelled)" is subscribed broadly at the broker and filtered here, untagged messages
// included. Skipped messages still advance the group's committed offset.
#include <rocketmq/rocketmq.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

namespace {

struct PrintingListener : rocketmq::MessageListenerConcurrently {
  std::mutex mutex;
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& msg : messages) std::cout << "[" << msg.get_tags() << "] " << msg.get_msg_id() << '\n';
    return rocketmq::ConsumeResult::Success;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 2 ? argv[2] : "include";
  const int seconds = argc > 3 ? std::atoi(argv[3]) : 10;
  rocketmq::ConsumerOption option;
  option.set_name_server_addr(argc > 1 ? argv[1] : "localhost:9876");
  option.set_group_name("tag_filtering_" + mode);
  try {
    rocketmq::PushConsumer consumer(option);
    if (mode == "all") {
      consumer.subscribe("OrderEvents", "*");  // subscribe to all tags
    } else if (mode == "exclude") {
      consumer.subscribe("OrderEvents", "!(order_cancelled)");  // exclude tags
    } else {
      consumer.subscribe("OrderEvents", "order_created || order_paid");  // specific tags
    }
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
