// The fault tests' cluster (test/cluster/cluster.sh with RMQ_SLAVES=1 RMQ_NAMESRV_COUNT=2): name
// servers 127.0.0.1:23876 and :23877; broker-a 127.0.0.1:24911 (slave :25911), broker-b :26911
// (slave :27911): below Linux's ephemeral port range (32768-60999), so no client connection of the
// machine can hold one of them when a broker is relaunched. broker-a's master announces
// 127.0.0.2:24911, where this process runs a FaultProxy to it, so every client reaches broker-a
// through the proxy. Started once per process, on first use; each test first relaunches whatever
// an earlier one left killed. Store: /dev/shm/rmq-it-fault.
//
// The SDK's own log, from Info up (thousands of "cannot connect" warnings while a broker is down),
// goes to fault-sdk.log in the working directory (ROCKETMQ_FAULT_SDK_LOG names another file), so
// that what the tests print on stderr stays short enough to read: the "[fault]" figures and
// Catch2's failures.

#include "fault/fault_cluster.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <fstream>
#include <memory>
#include <mutex>

namespace rocketmq::test::fault {

const std::string kNamesrvList = "127.0.0.1:23876;127.0.0.1:23877";
const std::string kBrokerAProxied = "127.0.0.2:24911";
const std::string kBrokerB = "127.0.0.1:26911";
const std::string kSlaveA = "127.0.0.1:25911";
const std::string kSlaveB = "127.0.0.1:27911";

namespace {
const std::vector<std::string> kProcesses = {"ns", "ns2", "broker-a", "broker-b", "broker-a-s", "broker-b-s"};

// One line per SDK log line, with a wall-clock time stamp to set beside the brokers' logs. The
// handler owns the file, so it stays open while any SDK thread can still log, process exit included.
void route_sdk_log_to_file() {
  const char* configured = std::getenv("ROCKETMQ_FAULT_SDK_LOG");
  const std::string path = configured != nullptr && *configured != '\0' ? configured : "fault-sdk.log";
  struct Sink {
    std::mutex mutex;
    std::ofstream out;
  };
  auto sink = std::make_shared<Sink>();
  sink->out.open(path, std::ios::out | std::ios::trunc);
  if (!sink->out) {
    std::fprintf(stderr, "[fault] cannot write %s: the SDK logs to stderr\n", path.c_str());
    return;
  }
  std::error_code ignored;
  const auto shown = std::filesystem::absolute(path, ignored);
  std::fprintf(stderr, "[fault] the SDK's log goes to %s\n", (ignored ? path : shown.string()).c_str());
  // Info: the route changes and replica moves a failure's timeline is read from (unless
  // ROCKETMQ_LOG_LEVEL says otherwise).
  const char* level = std::getenv("ROCKETMQ_LOG_LEVEL");
  if (level == nullptr || *level == '\0') rocketmq::set_log_level(rocketmq::LogLevel::Info);
  rocketmq::set_log_handler([sink](rocketmq::LogLevel level, std::string_view message) {
    static constexpr const char* kNames[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"};
    const auto now = std::chrono::system_clock::now();
    const auto time = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm local{};
    localtime_r(&time, &local);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%H:%M:%S", &local);
    std::lock_guard<std::mutex> lock(sink->mutex);
    sink->out << stamp << '.' << std::setfill('0') << std::setw(3) << millis << ' '
              << kNames[static_cast<int>(level)] << ' ' << message << '\n';
    sink->out.flush();
  });
}
}  // namespace

// Brokers register every 10 s: a relaunched name server knows them again within that.
FaultCluster::FaultCluster()
    : cluster{"fault", kNamesrvPort, kBrokerAPort, kBrokerBPort,
              "RMQ_SLAVES=1 RMQ_NAMESRV_COUNT=2 RMQ_BROKER_A_IP1=127.0.0.2 "
              "RMQ_SLAVE_A_PORT=25911 RMQ_SLAVE_B_PORT=27911 RMQ_REGISTER_PERIOD_MS=10000"} {}

FaultCluster& fault_cluster() {
  static const bool routed = (route_sdk_log_to_file(), true);
  (void)routed;
  static FaultCluster instance;
  instance.proxy.pass();
  for (const auto& process : kProcesses) {
    if (!instance.cluster.running(process)) {
      std::fprintf(stderr, "[fault] relaunching %s, left killed by an earlier test\n", process.c_str());
      instance.cluster.launch(process);
    }
  }
  return instance;
}

bool routed_with_masters(const protocol::TopicRouteData& route) {
  // Queue data alone can come from a slave's registration while the master's has not reached a
  // (relaunched) name server yet: producers need the masters' addresses.
  if (route.queue_datas.size() != 2 || route.broker_datas.size() != 2) return false;
  for (const auto& broker : route.broker_datas) {
    if (!broker.master_address()) return false;
  }
  return true;
}

void Admin::create_topic(const std::string& topic, int queues) {
  protocol::CreateTopicRequestHeader header;
  header.topic = topic;
  header.read_queue_nums = queues;
  header.write_queue_nums = queues;
  for (const auto& address : {kBrokerAProxied, kBrokerB}) api.create_topic(address, header);
  // The slaves too: they copy topic configs from their masters only periodically, and on this
  // loaded machine some took over a minute; until then a pull sent to one fails with
  // TOPIC_NOT_EXIST although it holds the messages.
  for (const auto& address : {kSlaveA, kSlaveB}) {
    try {
      api.create_topic(address, header);
    } catch (const std::exception& error) {
      std::fprintf(stderr, "[fault] creating %s on slave %s: %s\n", topic.c_str(), address.c_str(), error.what());
    }
  }
  const bool routed = wait_until(
      [&] {
        try {
          return routed_with_masters(api.get_topic_route(topic));
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(60), std::chrono::milliseconds(200));
  if (!routed) throw std::runtime_error("topic " + topic + " not routed by the name servers within 60 s");
}

std::int64_t Admin::committed_offset(const std::string& group, const std::string& broker_name,
                                     const std::string& topic, int queue) {
  protocol::QueryConsumerOffsetRequestHeader header;
  header.consumer_group = group;
  header.topic = topic;
  header.queue_id = queue;
  try {
    return api.query_consumer_offset(broker_name == "broker-a" ? kBrokerAProxied : kBrokerB, header);
  } catch (const std::exception&) {
    return -1;
  }
}

ConsumerOption consumer_option(const std::string& group, const std::string& name_servers) {
  ConsumerOption option;
  option.set_name_server_addr(name_servers);
  option.set_group_name(group);
  option.set_instance_name(unique_name("fault"));
  option.set_consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset);
  option.set_persist_offset_interval(std::chrono::seconds(1));
  option.set_rebalance_interval(std::chrono::seconds(5));
  option.set_request_timeout(std::chrono::seconds(5));
  return option;
}

ProducerOption producer_option(const std::string& name_servers) {
  ProducerOption option;
  option.set_name_server_addr(name_servers);
  option.set_group_name(unique_name("fault_producer"));
  option.set_instance_name(unique_name("fault"));
  option.set_send_timeout(std::chrono::seconds(3));
  option.set_request_timeout(std::chrono::seconds(5));
  return option;
}

PacedProducer::PacedProducer(Producer& producer, std::string topic, int per_second, int threads, int batch)
    : producer_(producer), topic_(std::move(topic)) {
  const auto period = std::chrono::microseconds(1000000L * threads * batch / per_second);
  for (int t = 0; t < threads; ++t) {
    threads_.emplace_back([this, period, t, threads, batch] {
      // Spread over one period: the threads' requests reach the brokers evenly, not in bursts.
      auto next = Clock::now() + period * t / threads;
      for (int i = 0; !stop_; ++i) {
        next += period;
        std::this_thread::sleep_until(next);
        // Behind after a stall (a send waiting on a broker that is booting): the missed sends go out
        // back to back, as an application's backlog would, so the offered rate holds over the run.
        // More than 10 s behind, the excess is given up.
        if (Clock::now() - next > std::chrono::seconds(10)) next = Clock::now() - std::chrono::seconds(10);
        const auto started = Clock::now();
        try {
          const auto body = "m" + std::to_string(t) + "-" + std::to_string(i);
          SendResult result;
          if (batch > 1) {
            std::vector<Message> messages;
            for (int j = 0; j < batch; ++j) messages.emplace_back(topic_, body + "-" + std::to_string(j));
            result = producer_.send(messages);
          } else {
            result = producer_.send(Message(topic_, body));
          }
          std::lock_guard<std::mutex> lock(mutex_);
          // A batch's id lists its messages' ids, comma-separated.
          for (std::size_t start = 0; start <= result.get_msg_id().size();) {
            auto end = result.get_msg_id().find(',', start);
            if (end == std::string::npos) end = result.get_msg_id().size();
            sent_.insert(result.get_msg_id().substr(start, end - start));
            start = end + 1;
          }
          const auto now = Clock::now();
          last_ok_by_broker_[result.get_message_queue().broker_name] = now;
          answered_at_.insert(answered_at_.end(), batch, now);
        } catch (const std::exception&) {
          ++failed_;
        }
        const auto took = Clock::now() - started;
        std::lock_guard<std::mutex> lock(mutex_);
        longest_send_ = std::max(longest_send_, took);
      }
    });
  }
}

void PacedProducer::stop() {
  if (stop_.exchange(true)) return;
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  stopped_ = Clock::now();
}

double PacedProducer::rate() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<double>(sent_.size()) / std::max(0.001, seconds(stopped_ - started_));
}

double PacedProducer::rate_between(Clock::time_point from, Clock::time_point to) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto first = std::lower_bound(answered_at_.begin(), answered_at_.end(), from);
  const auto last = std::lower_bound(first, answered_at_.end(), to);
  return static_cast<double>(last - first) / std::max(0.001, seconds(to - from));
}

std::set<std::string> PacedProducer::sent() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sent_;
}

Clock::duration PacedProducer::longest_send() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return longest_send_;
}

std::optional<Clock::time_point> PacedProducer::last_ok(const std::string& broker) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = last_ok_by_broker_.find(broker);
  if (it == last_ok_by_broker_.end()) return std::nullopt;
  return it->second;
}

}  // namespace rocketmq::test::fault
