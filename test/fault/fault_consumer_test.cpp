// Acceptance tests of issue 13 whose subject is the consumers rather than the brokers: a consumer
// process killed with SIGKILL mid-backlog and restarted in its group, and a group whose C++ and
// Java members join and leave while messages flow. Both run on the fault tests' shared cluster
// (fault_cluster.h) and print their figures as "[fault] ..." lines on stderr.
//
// ROCKETMQ_FAULT_CHURN_SECONDS (default 120, as the issue asks): how long the churn lasts.

#include <catch2/catch.hpp>
#include <rocketmq/rocketmq.h>

#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fault/fault_cluster.h"
#include "support/child_process.h"
#include "support/listeners.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using namespace rocketmq::test::fault;
using rocketmq::test::ChildProcess;
using rocketmq::test::unique_name;
using rocketmq::test::wait_until;

namespace {

// One "msg <wall clock us> <broker>:<queue id> <queue offset> <body>" line of the helper.
struct HelperLine {
  long long at_us = 0;
  std::string queue;  // "broker-a:3"
  long long offset = 0;
  std::string body;
};

bool parse_helper_line(const std::string& line, HelperLine& out) {
  if (line.rfind("msg ", 0) != 0) return false;
  std::istringstream in(line.substr(4));
  return static_cast<bool>(in >> out.at_us >> out.queue >> out.offset >> out.body);
}

long long wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The value of "key" in one JSON line of interop.sh (string or number), "" when absent.
std::string json_field(const std::string& line, const std::string& key) {
  const auto at = line.find("\"" + key + "\"");
  if (at == std::string::npos) return "";
  auto pos = line.find(':', at + key.size() + 2);
  if (pos == std::string::npos) return "";
  ++pos;
  while (pos < line.size() && line[pos] == ' ') ++pos;
  if (pos < line.size() && line[pos] == '"') {
    const auto end = line.find('"', pos + 1);
    return end == std::string::npos ? "" : line.substr(pos + 1, end - pos - 1);
  }
  auto end = pos;
  while (end < line.size() && line[end] != ',' && line[end] != '}') ++end;
  return line.substr(pos, end - pos);
}

}  // namespace

TEST_CASE("a consumer process SIGKILLed mid-backlog and restarted in its group: nothing lost, duplicates at most "
          "what it consumed since its last commit",
          "[fault][consumer-kill]") {
  fault_cluster();
  Admin admin;
  const auto topic = unique_name("fault_ckill");
  const auto group = unique_name("fault_ckill_group");
  admin.create_topic(topic, 4);
  constexpr int kMessages = 20000;
  constexpr int kBatch = 100;
  {
    rocketmq::Producer producer(producer_option());
    producer.start();
    for (int first = 0; first < kMessages; first += kBatch) {
      std::vector<rocketmq::Message> batch;
      for (int i = first; i < first + kBatch; ++i) batch.emplace_back(topic, "k" + std::to_string(i));
      producer.send(batch);
    }
    producer.shutdown();
  }

  // The victim commits offsets every 5 s (the default); it is killed a third into the backlog.
  const std::string helper = ROCKETMQ_LIFECYCLE_HELPER;
  auto victim = std::make_unique<ChildProcess>(
      std::vector<std::string>{helper, "concurrent-consume", kNamesrvList, topic, group, unique_name("victim"), "300"});
  REQUIRE(wait_until([&] { return victim->line_count() > kMessages / 3; }, 90s, 5ms));
  victim->kill_and_wait(SIGKILL);
  const auto killed_us = wall_us();
  const auto killed = Clock::now();
  REQUIRE(victim->wait_eof(10s));
  std::vector<HelperLine> first;
  for (const auto& line : victim->lines()) {
    HelperLine parsed;
    if (parse_helper_line(line, parsed)) first.push_back(parsed);
  }
  // What it consumed since its last commit: the messages at or past the offset each queue's
  // broker holds for the group now (nobody else commits for it until the successor starts).
  std::map<std::string, long long> committed;
  for (const auto& broker : {std::string("broker-a"), std::string("broker-b")}) {
    for (int queue = 0; queue < 4; ++queue) {
      committed[broker + ":" + std::to_string(queue)] = admin.committed_offset(group, broker, topic, queue);
    }
  }
  long since_commit = 0;
  long last_interval = 0;  // consumed in the last commit interval (5 s) before the kill
  for (const auto& line : first) {
    if (line.offset >= committed[line.queue]) ++since_commit;
    if (line.at_us >= killed_us - 5000000) ++last_interval;
  }
  REQUIRE(first.size() < static_cast<std::size_t>(kMessages));

  auto successor = std::make_unique<ChildProcess>(std::vector<std::string>{
      helper, "concurrent-consume", kNamesrvList, topic, group, unique_name("successor"), "300"});
  std::set<std::string> bodies;
  for (const auto& line : first) bodies.insert(line.body);
  std::size_t seen = 0;
  long second_total = 0;
  const bool all = wait_until(
      [&] {
        for (const auto& line : successor->lines_from(seen)) {
          ++seen;
          HelperLine parsed;
          if (!parse_helper_line(line, parsed)) continue;
          ++second_total;
          bodies.insert(parsed.body);
        }
        return bodies.size() >= static_cast<std::size_t>(kMessages);
      },
      120s, 50ms);
  const double recovered_seconds = seconds(Clock::now() - killed);
  // Late duplicates (a redelivery still in flight) would show within a moment: give them one.
  std::this_thread::sleep_for(500ms);
  for (const auto& line : successor->lines_from(seen)) {
    HelperLine parsed;
    if (parse_helper_line(line, parsed)) {
      ++second_total;
      bodies.insert(parsed.body);
    }
  }
  successor->kill_and_wait(SIGKILL);
  const long duplicates = static_cast<long>(first.size()) + second_total - static_cast<long>(bodies.size());
  std::fprintf(stderr,
               "[fault] consumer process killed with %zu of %d consumed: %ld of them past the committed offsets "
               "(%ld in its last 5 s); the successor consumed %ld, all %zu distinct bodies %.1f s after the kill; "
               "%ld duplicates\n",
               first.size(), kMessages, since_commit, last_interval, second_total, bodies.size(), recovered_seconds,
               duplicates);
  CHECK(all);
  CHECK(bodies.size() == static_cast<std::size_t>(kMessages));
  CHECK(duplicates <= since_commit);
}

namespace {

// Every delivery of the churn group, from any member: message id and queue with its time.
class GroupDeliveries {
 public:
  void add(const std::string& id, const std::string& queue, Clock::time_point at) {
    counts_.add(id);
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(Event{at, queue});
  }
  std::size_t distinct() const { return counts_.distinct(); }
  long duplicates() const { return counts_.duplicates(); }
  std::size_t missing(const std::set<std::string>& expected) const {
    return counts_.missing(expected).size();
  }
  std::set<std::string> queues_since(Clock::time_point after) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::set<std::string> result;
    for (const auto& event : events_) {
      if (event.at >= after) result.insert(event.queue);
    }
    return result;
  }
  // Per queue, the longest time within [from, until] without a delivery from it (its ends count).
  std::map<std::string, Clock::duration> longest_gaps(const std::set<std::string>& queues, Clock::time_point from,
                                                      Clock::time_point until) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<std::string, Clock::time_point> previous;
    std::map<std::string, Clock::duration> longest;
    for (const auto& queue : queues) {
      previous[queue] = from;
      longest[queue] = Clock::duration{0};
    }
    std::vector<Event> sorted;
    for (const auto& event : events_) {
      if (event.at >= from && event.at <= until && previous.count(event.queue) != 0) sorted.push_back(event);
    }
    std::sort(sorted.begin(), sorted.end(), [](const Event& a, const Event& b) { return a.at < b.at; });
    for (const auto& event : sorted) {
      longest[event.queue] = std::max(longest[event.queue], event.at - previous[event.queue]);
      previous[event.queue] = event.at;
    }
    for (const auto& queue : queues) longest[queue] = std::max(longest[queue], until - previous[queue]);
    return longest;
  }

 private:
  struct Event {
    Clock::time_point at;
    std::string queue;
  };
  rocketmq::test::DeliveryCounts counts_;
  mutable std::mutex mutex_;  // guards events_
  std::vector<Event> events_;
};

class GroupListener : public rocketmq::MessageListenerConcurrently {
 public:
  explicit GroupListener(GroupDeliveries& deliveries) : deliveries_(deliveries) {}
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    const auto now = Clock::now();
    for (const auto& message : messages) {
      deliveries_.add(message.get_msg_id(), message.get_broker_name() + ":" + std::to_string(message.get_queue_id()),
                      now);
    }
    return rocketmq::ConsumeResult::Success;
  }

 private:
  GroupDeliveries& deliveries_;  // outlives every consumer of the test
};

}  // namespace

// A stable C++ member stays in the group throughout (else a moment with no member at all would be
// a legitimate unowned queue); around it, every 5-10 s a new member joins, C++ and Java in turn,
// and each churning member leaves again after 10-20 s: C++ ones by shutdown(), Java ones (the
// official client, test/interop/interop.sh consume) when their --timeout-ms ends, by its shutdown.
//
// "No queue left unowned": a queue is owned when its messages are being consumed. Messages flow
// into every queue all the time (2,000 msg/s in batches of 10, round robin over 8 queues: 25
// batches per queue per second), so a queue that no member pulls shows as a pause in its
// deliveries. The test measures, per queue, the longest time without a delivery from it during
// the churn (deliveries of all members merged; a Java member's lines are timestamped when this
// process reads them, every 100 ms) and checks it against one rebalance interval of the group:
// 20 s, the Java members' default (the C++ members rebalance every 5 s). stats().queues of the
// C++ members would not see the Java members' queues, hence the consumption evidence.
//
// Seen on this machine with the Java members rebalancing every 5 s as well: a Java member newly
// given broker-b's queues had its pulls refused with SUBSCRIPTION_NOT_LATEST for 10 s and more
// (the Java client raises its subVersion when its queue set changes, and the broker refuses a
// pull whose subVersion is newer than the subscription it holds), so its queues paused ~11 s: a
// delay on the Java side this test reports but cannot hold under 5 s.
TEST_CASE("churn: C++ and Java consumers of one group join and leave every 5-10 s under 2,000 msg/s: all "
          "consumed, no queue unowned longer than a rebalance interval",
          "[fault][churn]") {
  fault_cluster();
  Admin admin;
  const auto topic = unique_name("fault_churn");
  const auto group = unique_name("fault_churn_group");
  admin.create_topic(topic, 4);
  const char* configured = std::getenv("ROCKETMQ_FAULT_CHURN_SECONDS");
  const auto churn = std::chrono::seconds(configured != nullptr && std::atoi(configured) > 0 ? std::atoi(configured)
                                                                                              : 120);
  // The group's longest rebalance interval: the Java members' default (20 s); C++ members use 5 s.
  constexpr auto kRebalance = 20s;
  // The flow the issue asks for, and what the check accepts of it. The rate is the load generator's,
  // not the consumers': sync sends, so it is bounded by threads x batch / send latency. Run alone
  // 8 threads held 2,000 msg/s, but `./build.sh test` runs this beside the rest of the suite on two
  // cores, where a batch took up to 116 ms in one CI run and 8 threads made 689 msg/s. 32 threads
  // with batches of 10 made 1,415 msg/s in another CI run (a batch took 226 ms on average beside
  // nine JVM starts): the cost there is per request, so 40 threads send batches of 25 (80 requests
  // a second, one every 500 ms per thread), which hold the rate while a batch takes under 500 ms and
  // catch up after a longer stall.
  constexpr double kRate = 2000;
  constexpr double kLowestRate = 0.8 * kRate;

  GroupDeliveries deliveries;  // declared first: outlives every member
  std::mutex java_mutex;
  struct JavaMember {
    std::unique_ptr<ChildProcess> process;
    std::size_t read = 0;
  };
  std::vector<JavaMember> java_members;
  std::atomic<bool> stop_polling{false};
  auto poll_java = [&] {
    std::lock_guard<std::mutex> lock(java_mutex);
    const auto now = Clock::now();
    for (auto& member : java_members) {
      for (const auto& line : member.process->lines_from(member.read)) {
        ++member.read;
        const auto id = json_field(line, "msgId");
        if (id.empty()) continue;
        deliveries.add(id, json_field(line, "brokerName") + ":" + json_field(line, "queueId"), now);
      }
    }
  };
  std::thread poller([&] {
    while (!stop_polling) {
      poll_java();
      std::this_thread::sleep_for(100ms);
    }
  });
  struct PollerJoin {
    std::atomic<bool>& stop;
    std::thread& thread;
    ~PollerJoin() {
      stop = true;
      if (thread.joinable()) thread.join();
    }
  } poller_join{stop_polling, poller};

  auto make_member = [&] {
    auto option = consumer_option(group);
    auto consumer = std::make_unique<rocketmq::PushConsumer>(option);
    consumer->subscribe(topic, "*");
    consumer->register_message_listener(std::make_unique<GroupListener>(deliveries));
    consumer->start();
    return consumer;
  };
  auto anchor = make_member();
  rocketmq::Producer producer(producer_option());
  producer.start();
  PacedProducer load(producer, topic, static_cast<int>(kRate), 40, /*batch=*/25);
  // The window starts once every queue is being consumed.
  const auto load_started = Clock::now();
  REQUIRE(wait_until([&] { return deliveries.queues_since(load_started).size() == 8; }, 60s, 100ms));
  const auto queues = deliveries.queues_since(load_started);
  const auto window_start = Clock::now();
  const auto churn_end = window_start + churn;

  std::mt19937 random(std::random_device{}());
  auto between = [&](int low, int high) {
    return std::chrono::milliseconds(std::uniform_int_distribution<int>(low * 1000, high * 1000)(random));
  };
  struct CppMember {
    std::unique_ptr<rocketmq::PushConsumer> consumer;
    Clock::time_point leave_at;
  };
  std::vector<CppMember> cpp_members;
  int cpp_joins = 0;
  int java_joins = 0;
  int cpp_leaves = 0;
  bool java_next = false;
  auto next_join = Clock::now();
  while (Clock::now() < churn_end) {
    const auto now = Clock::now();
    if (now >= next_join) {
      if (java_next) {
        const auto lifetime = between(10, 20);
        auto process = std::make_unique<ChildProcess>(std::vector<std::string>{
            std::string(ROCKETMQ_SOURCE_DIR) + "/test/interop/interop.sh", "consume", "--namesrv", kNamesrvList,
            "--group", group, "--topic", topic, "--timeout-ms", std::to_string(lifetime.count())});
        std::lock_guard<std::mutex> lock(java_mutex);
        java_members.push_back(JavaMember{std::move(process), 0});
        ++java_joins;
      } else {
        cpp_members.push_back(CppMember{make_member(), now + between(10, 20)});
        ++cpp_joins;
      }
      java_next = !java_next;
      next_join = now + between(5, 10);
    }
    for (auto& member : cpp_members) {
      if (member.consumer && Clock::now() >= member.leave_at) {
        member.consumer->shutdown();
        member.consumer.reset();
        ++cpp_leaves;
      }
    }
    std::this_thread::sleep_for(100ms);
  }
  const auto window_end = Clock::now();
  load.stop();
  const auto sent = load.sent();
  const bool all = wait_until([&] { return deliveries.missing(sent) == 0; }, 90s, 200ms);
  const auto gaps = deliveries.longest_gaps(queues, window_start, window_end);
  Clock::duration longest{0};
  std::string longest_queue;
  for (const auto& [queue, gap] : gaps) {
    if (gap > longest) {
      longest = gap;
      longest_queue = queue;
    }
  }
  for (auto& member : cpp_members) {
    if (member.consumer) member.consumer->shutdown();
  }
  // Java members end by their own timeout; wait for them so none is left behind.
  int java_clean = 0;
  {
    std::lock_guard<std::mutex> lock(java_mutex);
    for (auto& member : java_members) {
      int status = 0;
      if (member.process->wait_exit(30s, &status) && WIFEXITED(status) && WEXITSTATUS(status) == 0) ++java_clean;
    }
  }
  poll_java();
  anchor->shutdown();
  producer.shutdown();
  std::string gap_list;
  for (const auto& [queue, gap] : gaps) {
    char text[64];
    std::snprintf(text, sizeof text, " %s %.1f s", queue.c_str(), seconds(gap));
    gap_list += text;
  }
  std::fprintf(stderr,
               "[fault] churn %.0f s: %d C++ joins (%d left), %d Java joins (%d exited cleanly); %zu sent (%.0f msg/s), "
               "%ld send failures; %zu distinct consumed, %zu missing, %ld duplicates; longest time a queue went "
               "without deliveries %.1f s (%s); per queue:%s\n",
               seconds(window_end - window_start), cpp_joins, cpp_leaves, java_joins, java_clean, sent.size(),
               load.rate(), load.failed(), deliveries.distinct(), deliveries.missing(sent), deliveries.duplicates(),
               seconds(longest), longest_queue.c_str(), gap_list.c_str());
  CHECK(all);
  CHECK(java_clean == java_joins);
  CHECK(longest < kRebalance);
  CHECK(load.rate() >= kLowestRate);
}
