// The broker-bound limit: drains a topic with nothing but PULL_MESSAGE requests, one in flight per
// queue, on the internal remoting client. Bodies are dropped (messages are counted from the
// response's nextBeginOffset), no offsets are committed, there is no process queue, no consume
// thread and no listener. With --decode the bodies are decoded (protocol::decode_messages) and
// dropped, which shows what decoding alone costs on top of the transport.
//
//   rmq_bench_raw_pull --namesrv 127.0.0.1:9876 --topic T [--group G] [--batch 32] [--expect N]
//                      [--decode] [--timeout 600]
//
// Each second "Pull TPS: N | Pulls: N | Errors: N"; at the end a summary and "RESULT {json}" with
// the same fields as rmq_bench_consumer (no latency: nothing is consumed).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "client/remoting_mq_client_api.h"
#include "protocol/headers.h"
#include "protocol/message_decoder.h"
#include "protocol/request_code.h"
#include "protocol/response_code.h"
#include "remoting/remoting_client.h"

namespace {

using namespace rocketmq;

constexpr std::int32_t kPullFlagSubscription = 0x4;

struct QueueState {
  std::string broker_name;
  std::string address;
  int queue_id = 0;
  std::int64_t offset = 0;
  std::int64_t target = 0;  // max offset when the run started
};

struct Shared {
  remoting::RemotingClient* remoting = nullptr;
  std::string topic;
  std::string group;
  int batch = 32;
  bool decode = false;
  std::atomic<std::int64_t> messages{0};
  std::atomic<std::int64_t> decoded{0};
  std::atomic<std::int64_t> bytes{0};
  std::atomic<std::int64_t> pulls{0};
  std::atomic<std::int64_t> errors{0};
  std::atomic<int> queues_left{0};
  std::atomic<double> first_at{0};
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  double done_at = 0;
  bench::ProcessUsage usage_at_done;
};

void pull(const std::shared_ptr<Shared>& shared, const std::shared_ptr<QueueState>& queue);

void queue_finished(const std::shared_ptr<Shared>& shared) {
  if (shared->queues_left.fetch_sub(1) == 1) {
    std::lock_guard<std::mutex> lock(shared->mutex);
    shared->done_at = bench::mono_seconds();
    shared->usage_at_done = bench::process_usage();
    shared->done = true;
    shared->cv.notify_all();
  }
}

void on_response(const std::shared_ptr<Shared>& shared, const std::shared_ptr<QueueState>& queue,
                 remoting::InvokeResult&& result) {
  if (result.error) {
    shared->errors.fetch_add(1);
    shared->remoting->run_after(std::chrono::milliseconds(100), [shared, queue] { pull(shared, queue); });
    return;
  }
  shared->pulls.fetch_add(1, std::memory_order_relaxed);
  auto& response = *result.response;
  const auto code = static_cast<protocol::ResponseCode>(response.code);
  if (code == protocol::ResponseCode::kSuccess || code == protocol::ResponseCode::kPullNotFound ||
      code == protocol::ResponseCode::kPullRetryImmediately || code == protocol::ResponseCode::kPullOffsetMoved) {
    const auto* next_field = response.ext_field("nextBeginOffset");
    const std::int64_t next = next_field != nullptr ? std::stoll(*next_field) : queue->offset;
    if (code == protocol::ResponseCode::kSuccess) {
      double zero = 0;
      shared->first_at.compare_exchange_strong(zero, bench::mono_seconds());
      shared->messages.fetch_add(next - queue->offset, std::memory_order_relaxed);
      shared->bytes.fetch_add(static_cast<std::int64_t>(response.body.size()), std::memory_order_relaxed);
      if (shared->decode) {
        const auto decoded = protocol::decode_messages(response.body);
        shared->decoded.fetch_add(static_cast<std::int64_t>(decoded.size()), std::memory_order_relaxed);
      }
    }
    queue->offset = next;
    if (queue->offset >= queue->target || code == protocol::ResponseCode::kPullNotFound) {
      queue_finished(shared);
      return;
    }
    pull(shared, queue);
    return;
  }
  shared->errors.fetch_add(1);
  std::fprintf(stderr, "pull of %s:%d answered %d: %s\n", queue->broker_name.c_str(), queue->queue_id, response.code,
               response.remark.value_or("").c_str());
  shared->remoting->run_after(std::chrono::milliseconds(100), [shared, queue] { pull(shared, queue); });
}

void pull(const std::shared_ptr<Shared>& shared, const std::shared_ptr<QueueState>& queue) {
  protocol::PullMessageRequestHeader header;
  header.consumer_group = shared->group;
  header.topic = shared->topic;
  header.queue_id = queue->queue_id;
  header.queue_offset = queue->offset;
  header.max_msg_nums = shared->batch;
  header.sys_flag = kPullFlagSubscription;  // no long polling, no offset commit
  header.suspend_timeout_millis = 0;
  header.subscription = "*";
  header.sub_version = 0;
  header.expression_type = "TAG";
  header.broker_name = queue->broker_name;
  auto request = remoting::RemotingCommand::request(static_cast<std::int32_t>(protocol::RequestCode::kPullMessage));
  header.encode(request.ext_fields);
  try {
    shared->remoting->invoke_async(queue->address, std::move(request), std::chrono::milliseconds(10000),
                                   [shared, queue](remoting::InvokeResult&& result) {
                                     on_response(shared, queue, std::move(result));
                                   });
  } catch (const std::exception& error) {
    shared->errors.fetch_add(1);
    shared->remoting->run_after(std::chrono::milliseconds(100), [shared, queue] { pull(shared, queue); });
  }
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args args(argc, argv);
  const std::string name_server = args.get("namesrv", "127.0.0.1:9876");
  auto shared = std::make_shared<Shared>();
  shared->topic = args.get("topic", "BenchmarkTest");
  shared->group = args.get("group", "benchmark_raw_pull");
  shared->batch = static_cast<int>(args.get_int("batch", 32));
  shared->decode = args.has("decode");
  const std::int64_t expect = args.get_int("expect", 0);
  const double timeout_s = args.get_double("timeout", 600);
  if (args.has("help")) {
    std::fprintf(stderr,
                 "usage: %s --namesrv ADDR --topic T [--group G] [--batch 32] [--expect N] [--decode] "
                 "[--timeout 600]\n",
                 argv[0]);
    return 2;
  }

  const double started = bench::mono_seconds();
  remoting::RemotingClient remoting;
  shared->remoting = &remoting;
  client::RemotingMQClientAPI api(remoting, name_server, std::chrono::milliseconds(3000));
  std::vector<std::shared_ptr<QueueState>> queues;
  std::int64_t backlog = 0;
  try {
    const auto route = api.get_topic_route(shared->topic);
    for (const auto& queue : route.subscribe_queues(shared->topic)) {
      auto address = route.master_address(queue.broker_name);
      if (!address) throw std::runtime_error("no master for " + queue.broker_name);
      auto state = std::make_shared<QueueState>();
      state->broker_name = queue.broker_name;
      state->address = *address;
      state->queue_id = queue.queue_id;
      state->offset = api.get_min_offset(*address, shared->topic, queue.queue_id);
      state->target = api.get_max_offset(*address, shared->topic, queue.queue_id);
      backlog += state->target - state->offset;
      queues.push_back(state);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "route/offsets of %s failed: %s\n", shared->topic.c_str(), error.what());
    return 1;
  }
  std::printf("STARTED queues=%zu backlog=%lld batch=%d decode=%d\n", queues.size(), static_cast<long long>(backlog),
              shared->batch, shared->decode ? 1 : 0);
  std::fflush(stdout);
  const double pulling_from = bench::mono_seconds();
  int active = 0;
  for (const auto& queue : queues) {
    if (queue->offset < queue->target) ++active;
  }
  shared->queues_left = active;
  if (active == 0) {
    shared->done = true;
    shared->done_at = pulling_from;
    shared->usage_at_done = bench::process_usage();
  }
  for (const auto& queue : queues) {
    if (queue->offset < queue->target) pull(shared, queue);
  }

  std::int64_t last = 0;
  for (int second = 1;; ++second) {
    std::unique_lock<std::mutex> lock(shared->mutex);
    shared->cv.wait_until(lock,
                          std::chrono::steady_clock::time_point(std::chrono::duration_cast<
                                                                std::chrono::steady_clock::duration>(
                                                                std::chrono::duration<double>(pulling_from + second))),
                          [&] { return shared->done; });
    if (shared->done) break;
    lock.unlock();
    const std::int64_t now_messages = shared->messages.load();
    std::printf("Pull TPS: %lld | Pulls: %lld | Errors: %lld\n", static_cast<long long>(now_messages - last),
                static_cast<long long>(shared->pulls.load()), static_cast<long long>(shared->errors.load()));
    std::fflush(stdout);
    last = now_messages;
    if (bench::mono_seconds() - started > timeout_s) break;
  }
  bench::ProcessUsage usage;
  double done_at;
  bool done;
  {
    std::lock_guard<std::mutex> lock(shared->mutex);
    done = shared->done;
    usage = done ? shared->usage_at_done : bench::process_usage();
    done_at = done ? shared->done_at : bench::mono_seconds();
  }
  const std::int64_t total = shared->messages.load();
  const double first_at = shared->first_at.load();
  const double active_s = first_at > 0 ? done_at - first_at : 0;
  const double throughput = active_s > 0 ? static_cast<double>(total) / active_s : 0;
  const bool complete = done && (expect <= 0 || total >= expect);
  std::printf(
      "Summary: pulled %lld of %lld (backlog %lld, decoded %lld), %.1f MB, wall %.2f s, throughput %.0f msg/s, CPU "
      "%.2f s (user %.2f sys %.2f), peak RSS %.1f MB, pulls %lld, errors %lld%s\n",
      static_cast<long long>(total), static_cast<long long>(expect), static_cast<long long>(backlog),
      static_cast<long long>(shared->decoded.load()), static_cast<double>(shared->bytes.load()) / 1e6,
      done_at - started, throughput, usage.cpu_s(), usage.user_s, usage.sys_s,
      static_cast<double>(usage.peak_rss_kb) / 1024.0, static_cast<long long>(shared->pulls.load()),
      static_cast<long long>(shared->errors.load()), done ? "" : " TIMED OUT");
  bench::Json json;
  json.add("client", shared->decode ? "raw-decode" : "raw")
      .add("batch", shared->batch)
      .add("expect", expect)
      .add("total", total)
      .add("complete", complete ? 1 : 0)
      .add("wall_s", done_at - started)
      .add("active_s", active_s)
      .add("throughput", throughput)
      .add("cpu_s", usage.cpu_s())
      .add("cpu_user_s", usage.user_s)
      .add("cpu_sys_s", usage.sys_s)
      .add("peak_rss_kb", static_cast<std::int64_t>(usage.peak_rss_kb))
      .add("bytes", shared->bytes.load())
      .add("pulls", shared->pulls.load())
      .add("pull_errors", shared->errors.load());
  std::printf("RESULT %s\n", json.str().c_str());
  std::fflush(stdout);
  remoting.shutdown();
  return complete ? 0 : 1;
}
