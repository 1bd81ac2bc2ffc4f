// A separate program for the lifecycle tests whose subject is the process itself: its exit (clients
// still started in static objects when main returns), its restart (a broadcasting consumer that
// must find its local offsets again) or its sudden death (an orderly consumer killed with SIGKILL,
// whose queues must move to a survivor). The integration tests run it and check its exit status and
// output; under the sanitizers any report at exit makes that status non-zero.
//
//   lifecycle_helper static-clients <namesrv> <topic> <group>
//       starts a producer and a push consumer held in static objects, sends and consumes one
//       message, then returns from main with both still started; prints "consumed <msgId>".
//   lifecycle_helper broadcast-consume <namesrv> <topic> <group> <offset dir> <count>
//       a broadcasting consumer with the default instance name; prints "client <id>", then
//       "msg <msgId>" for each message until <count> distinct ones arrived (or 60 s passed),
//       then shuts down and exits 0 (3 on timeout).
//   lifecycle_helper orderly-consume <namesrv> <topic> <group> <instance> <seconds>
//       an orderly clustering consumer (rebalance every 5 s); prints "client <id>", then for each
//       message "msg <wall clock us> <broker>:<queue id> <queue offset> <body>", flushed inside the
//       listener call before it returns, so that a SIGKILL loses no line of a consumed message.
//       Runs until killed (the test's subject) or until <seconds> passed, then shuts down, exits 0.
//   concurrent-consume <namesrv> <topic> <group> <instance> <seconds>
//       as orderly-consume with a concurrent listener and the default offset commit interval (5 s),
//       for the fault test that kills a consumer mid-backlog: the same "msg ..." lines, flushed
//       inside the listener call, tell the test what the dead process consumed and when.

#include <rocketmq/rocketmq.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/listeners.h"

namespace {

using namespace std::chrono_literals;
using rocketmq::test::ListenerOf;

class CollectingListener : public rocketmq::MessageListenerConcurrently {
 public:
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& message : messages) {
      if (ids_.insert(message.get_msg_id()).second) std::printf("msg %s\n", message.get_msg_id().c_str());
    }
    std::fflush(stdout);
    changed_.notify_all();
    return rocketmq::ConsumeResult::Success;
  }

  bool wait_for(std::size_t count, std::chrono::seconds deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, deadline, [&] { return ids_.size() >= count; });
  }

  bool wait_for_id(const std::string& id, std::chrono::seconds deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, deadline, [&] { return ids_.count(id) != 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::set<std::string> ids_;
};

// Prints every delivery as it happens, one line per message, flushed before the call returns (a
// concurrent listener's offset can only be committed after that); the test merges these lines with
// its own consumer's deliveries by wall-clock time (one machine, one clock) to check each key's order.
rocketmq::ConsumeResult print_deliveries(const std::vector<rocketmq::MessageExt>& messages) {
  static std::mutex mutex;  // one line at a time from the consume threads
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::lock_guard<std::mutex> lock(mutex);
  for (const auto& message : messages) {
    std::printf("msg %lld %s:%d %lld %s\n", static_cast<long long>(now_us), message.get_broker_name().c_str(),
                message.get_queue_id(), static_cast<long long>(message.get_queue_offset()),
                message.get_body().c_str());
  }
  std::fflush(stdout);
  return rocketmq::ConsumeResult::Success;
}

rocketmq::ConsumerOption consumer_option(const std::string& namesrv, const std::string& group) {
  rocketmq::ConsumerOption option;
  option.set_name_server_addr(namesrv);
  option.set_group_name(group);
  option.set_consume_from_where(rocketmq::ConsumeFromWhere::ConsumeFromFirstOffset);
  option.set_persist_offset_interval(500ms);
  option.set_request_timeout(10s);
  return option;
}

// Destroyed after main returns, while the SDK's threads are still running.
std::unique_ptr<rocketmq::Producer> static_producer;
std::unique_ptr<rocketmq::PushConsumer> static_consumer;

int static_clients(const std::string& namesrv, const std::string& topic, const std::string& group) {
  rocketmq::ProducerOption producer_option;
  producer_option.set_name_server_addr(namesrv);
  producer_option.set_group_name(group + "_producer");
  producer_option.set_request_timeout(10s);
  static_producer = std::make_unique<rocketmq::Producer>(producer_option);
  static_producer->start();
  const auto sent = static_producer->send(rocketmq::Message(topic, "static-clients"));

  auto listener = std::make_unique<CollectingListener>();
  // Owned by the static consumer, which outlives main: valid for as long as this pointer is used.
  auto* collected = listener.get();
  static_consumer = std::make_unique<rocketmq::PushConsumer>(consumer_option(namesrv, group));
  static_consumer->subscribe(topic, "*");
  static_consumer->register_message_listener(std::move(listener));
  static_consumer->start();
  if (!collected->wait_for_id(sent.msg_id, 60s)) {
    std::fprintf(stderr, "message %s not consumed within 60 s\n", sent.msg_id.c_str());
    return 3;
  }
  std::printf("consumed %s\n", sent.msg_id.c_str());
  std::fflush(stdout);
  return 0;  // both clients still started: their static destructors shut them down
}

int broadcast_consume(const std::string& namesrv, const std::string& topic, const std::string& group,
                      const std::string& directory, std::size_t count) {
  auto option = consumer_option(namesrv, group);
  option.set_message_model(rocketmq::MessageModel::Broadcasting);
  option.set_offset_store_dir(directory);
  auto listener = std::make_unique<CollectingListener>();
  auto* collected = listener.get();
  rocketmq::PushConsumer consumer(option);
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::move(listener));
  consumer.start();
  std::printf("client %s\n", consumer.client_id().c_str());
  std::fflush(stdout);
  const bool all = collected->wait_for(count, 60s);
  consumer.shutdown();
  return all ? 0 : 3;
}

int orderly_consume(const std::string& namesrv, const std::string& topic, const std::string& group,
                    const std::string& instance, int seconds) {
  auto option = consumer_option(namesrv, group);
  option.set_instance_name(instance);
  option.set_rebalance_interval(5s);
  rocketmq::PushConsumer consumer(option);
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(
      std::make_unique<ListenerOf<rocketmq::MessageListenerOrderly>>(print_deliveries));
  consumer.start();
  std::printf("client %s\n", consumer.client_id().c_str());
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));  // normally killed long before
  consumer.shutdown();
  return 0;
}

int concurrent_consume(const std::string& namesrv, const std::string& topic, const std::string& group,
                       const std::string& instance, int seconds) {
  auto option = consumer_option(namesrv, group);
  option.set_instance_name(instance);
  option.set_rebalance_interval(5s);
  option.set_persist_offset_interval(5s);  // the default: what a killed process loses is the subject
  rocketmq::PushConsumer consumer(option);
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(
      std::make_unique<ListenerOf<rocketmq::MessageListenerConcurrently>>(print_deliveries));
  consumer.start();
  std::printf("client %s\n", consumer.client_id().c_str());
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));  // normally killed long before
  consumer.shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 4 && args[0] == "static-clients") return static_clients(args[1], args[2], args[3]);
    if (args.size() == 6 && args[0] == "broadcast-consume") {
      return broadcast_consume(args[1], args[2], args[3], args[4], std::stoul(args[5]));
    }
    if (args.size() == 6 && args[0] == "concurrent-consume") {
      return concurrent_consume(args[1], args[2], args[3], args[4], std::stoi(args[5]));
    }
    if (args.size() == 6 && args[0] == "orderly-consume") {
      return orderly_consume(args[1], args[2], args[3], args[4], std::stoi(args[5]));
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "lifecycle_helper: %s\n", error.what());
    return 2;
  }
  std::fprintf(stderr, "usage: lifecycle_helper static-clients|broadcast-consume|orderly-consume|concurrent-consume ...\n");
  return 64;
}
