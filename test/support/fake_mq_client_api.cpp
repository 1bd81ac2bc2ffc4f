#include "support/fake_mq_client_api.h"

#include <cstdio>
#include <utility>

#include "common/log.h"
#include "protocol/response_code.h"
#include "rocketmq/error.h"

namespace rocketmq::test {
namespace {

using protocol::ResponseCode;

template <typename Map, typename Key>
std::int64_t value_or_zero(const Map& map, const Key& key) {
  auto it = map.find(key);
  return it == map.end() ? 0 : it->second;
}

// An offset message id: a fixed store host (127.0.0.1:10911) and the commit-log offset, as hex.
std::string offset_message_id(std::uint64_t commit_log_offset) {
  char id[33];
  std::snprintf(id, sizeof(id), "7F00000100002A9F%016llX",
                static_cast<unsigned long long>(commit_log_offset));
  return id;
}

}  // namespace

FakeMQClientAPI::FakeMQClientAPI() : io_thread_([this] { run_io_thread(); }) {}

FakeMQClientAPI::~FakeMQClientAPI() {
  {
    std::lock_guard<std::mutex> lock(io_mutex_);
    io_stopping_ = true;
  }
  io_changed_.notify_all();
  io_thread_.join();
  // Dropped outside the locks: a callback's captures may call back into the fake when destroyed.
  decltype(io_tasks_) tasks;
  {
    std::lock_guard<std::mutex> lock(io_mutex_);
    tasks.swap(io_tasks_);
  }
  std::deque<PendingPull> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending.swap(pending_pulls_);
  }
}

// ---- helpers -------------------------------------------------------------------------------------

std::exception_ptr FakeMQClientAPI::begin_call(const char* method) {
  ++call_counts_[method];
  auto it = failures_.find(method);
  if (it == failures_.end() || it->second.empty()) return nullptr;
  std::exception_ptr failure = std::move(it->second.front());
  it->second.pop_front();
  return failure;
}

MessageQueue FakeMQClientAPI::queue_of(const std::string& broker_addr,
                                       const std::optional<std::string>& broker_name,
                                       const std::string& topic, int queue_id) const {
  MessageQueue queue;
  queue.topic = topic;
  queue.queue_id = queue_id;
  if (broker_name) {
    queue.broker_name = *broker_name;
    return queue;
  }
  queue.broker_name = broker_addr;
  if (auto named = broker_names_.find(broker_addr); named != broker_names_.end()) {
    queue.broker_name = named->second;
    return queue;
  }
  for (const auto& [route_topic, route] : routes_) {
    for (const auto& broker : route.broker_datas) {
      for (const auto& [id, address] : broker.broker_addrs) {
        if (address == broker_addr) {
          queue.broker_name = broker.broker_name;
          return queue;
        }
      }
    }
  }
  return queue;
}

client::SendResponse FakeMQClientAPI::store_message(const MessageQueue& queue) {
  client::SendResponse response;
  response.code = static_cast<int>(ResponseCode::kSuccess);
  response.header.queue_id = queue.queue_id;
  response.header.queue_offset = max_offsets_[queue]++;
  response.header.msg_id = offset_message_id(next_commit_log_offset_++);
  return response;
}

std::exception_ptr FakeMQClientAPI::broker_error(int response_code, const std::string& remark) {
  return std::make_exception_ptr(
      BrokerError(response_code, remark,
                  std::string("fake broker: ") + protocol::response_code_name(response_code) + " (" +
                      std::to_string(response_code) + ")" + (remark.empty() ? "" : ": " + remark)));
}

// ---- I/O thread ----------------------------------------------------------------------------------

void FakeMQClientAPI::deliver(std::chrono::milliseconds delay, std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(io_mutex_);
    io_tasks_.emplace(std::make_pair(Clock::now() + delay, io_sequence_++), std::move(task));
  }
  io_changed_.notify_all();
}

void FakeMQClientAPI::run_io_thread() {
  std::unique_lock<std::mutex> lock(io_mutex_);
  while (!io_stopping_) {
    if (io_tasks_.empty()) {
      io_changed_.wait(lock);
      continue;
    }
    auto first = io_tasks_.begin();
    if (first->first.first > Clock::now()) {
      io_changed_.wait_until(lock, first->first.first);
      continue;
    }
    std::function<void()> task = std::move(first->second);
    io_tasks_.erase(first);
    io_running_task_ = true;
    lock.unlock();
    try {
      task();
    } catch (const std::exception& error) {
      LOG_ERROR("FakeMQClientAPI: a callback threw: " << error.what());
    } catch (...) {
      LOG_ERROR("FakeMQClientAPI: a callback threw");
    }
    task = nullptr;  // its captures may call into the fake: not under io_mutex_
    lock.lock();
    io_running_task_ = false;
    io_changed_.notify_all();
  }
}

bool FakeMQClientAPI::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(io_mutex_);
  return io_changed_.wait_for(lock, timeout, [this] { return io_tasks_.empty() && !io_running_task_; });
}

// ---- name server ---------------------------------------------------------------------------------

protocol::TopicRouteData FakeMQClientAPI::get_topic_route(const std::string& topic) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = begin_call("get_topic_route")) std::rethrow_exception(failure);
  auto it = routes_.find(topic);
  if (it == routes_.end()) {
    std::rethrow_exception(broker_error(static_cast<int>(ResponseCode::kTopicNotExist),
                                        "No topic route info in name server for the topic: " + topic));
  }
  return it->second;
}

std::vector<std::pair<std::string, protocol::TopicRouteData>>
FakeMQClientAPI::get_topic_route_from_other_name_servers(const std::string& topic) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++other_name_server_queries_;
  std::vector<std::pair<std::string, protocol::TopicRouteData>> answers;
  for (const auto& [name_server, routes] : other_name_server_routes_) {
    auto it = routes.find(topic);
    if (it != routes.end()) answers.emplace_back(name_server, it->second);
  }
  return answers;
}

void FakeMQClientAPI::set_other_name_server_route(const std::string& name_server, const std::string& topic,
                                                  protocol::TopicRouteData route) {
  std::lock_guard<std::mutex> lock(mutex_);
  other_name_server_routes_[name_server][topic] = std::move(route);
}

int FakeMQClientAPI::other_name_server_queries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return other_name_server_queries_;
}

protocol::ClusterInfo FakeMQClientAPI::get_broker_cluster_info() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = begin_call("get_broker_cluster_info")) std::rethrow_exception(failure);
  return cluster_info_;
}

// ---- broker admin --------------------------------------------------------------------------------

void FakeMQClientAPI::create_topic(const std::string& broker_addr,
                                   const protocol::CreateTopicRequestHeader& header) {
  std::lock_guard<std::mutex> lock(mutex_);
  create_topic_calls_.push_back({broker_addr, header});
  if (auto failure = begin_call("create_topic")) std::rethrow_exception(failure);
}

std::int64_t FakeMQClientAPI::get_max_offset(const std::string& broker_addr, const std::string& topic,
                                             int queue_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = begin_call("get_max_offset")) std::rethrow_exception(failure);
  return value_or_zero(max_offsets_, queue_of(broker_addr, std::nullopt, topic, queue_id));
}

void FakeMQClientAPI::probe_broker(const std::string& broker_addr, const std::string& topic, int queue_id,
                                   std::chrono::milliseconds timeout, client::ProbeCallback done) {
  std::exception_ptr failure;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    failure = begin_call("probe_broker");
  }
  deliver(std::chrono::milliseconds(0), [done = std::move(done), failure] { done(failure); });
}

std::optional<std::chrono::steady_clock::time_point> FakeMQClientAPI::last_heard_from(
    const std::string& /*broker_addr*/) const {
  return std::nullopt;  // the fake has no connections
}

std::int64_t FakeMQClientAPI::get_min_offset(const std::string& broker_addr, const std::string& topic,
                                             int queue_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = begin_call("get_min_offset")) std::rethrow_exception(failure);
  return value_or_zero(min_offsets_, queue_of(broker_addr, std::nullopt, topic, queue_id));
}

void FakeMQClientAPI::reset_group_offset(const std::string&, const protocol::ResetOffsetRequestHeader&) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = begin_call("reset_group_offset")) std::rethrow_exception(failure);
}

std::int64_t FakeMQClientAPI::search_offset(const std::string& broker_addr, const std::string& topic,
                                            int queue_id, std::int64_t timestamp) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = begin_call("search_offset")) std::rethrow_exception(failure);
  const MessageQueue queue = queue_of(broker_addr, std::nullopt, topic, queue_id);
  auto it = search_offsets_.find(queue);
  return it != search_offsets_.end() ? it->second : value_or_zero(min_offsets_, queue);
}

// ---- producer ------------------------------------------------------------------------------------

client::SendResponse FakeMQClientAPI::send_message(const std::string& broker_addr,
                                                   const protocol::SendMessageRequestHeaderV2& header,
                                                   bool batch, const std::string& body,
                                                   std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(mutex_);
  send_calls_.push_back({broker_addr, header, batch, body, SendMode::Sync});
  if (auto failure = begin_call("send_message")) std::rethrow_exception(failure);
  return store_message(queue_of(broker_addr, header.broker_name, header.topic, header.queue_id));
}

void FakeMQClientAPI::send_message_async(const std::string& broker_addr,
                                         const protocol::SendMessageRequestHeaderV2& header, bool batch,
                                         const std::string& body, std::chrono::milliseconds timeout,
                                         client::SendCallback callback) {
  std::exception_ptr failure;
  client::SendResponse response;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    send_calls_.push_back({broker_addr, header, batch, body, SendMode::Async});
    failure = begin_call("send_message_async");
    if (!failure)
      response = store_message(queue_of(broker_addr, header.broker_name, header.topic, header.queue_id));
  }
  deliver(std::chrono::milliseconds(0), [callback = std::move(callback), response, failure]() mutable {
    callback(std::move(response), failure);
  });
}

void FakeMQClientAPI::send_message_oneway(const std::string& broker_addr,
                                          const protocol::SendMessageRequestHeaderV2& header,
                                          const std::string& body) {
  std::lock_guard<std::mutex> lock(mutex_);
  send_calls_.push_back({broker_addr, header, false, body, SendMode::Oneway});
  if (auto failure = begin_call("send_message_oneway")) std::rethrow_exception(failure);
  store_message(queue_of(broker_addr, header.broker_name, header.topic, header.queue_id));
}

// ---- consumer ------------------------------------------------------------------------------------

void FakeMQClientAPI::pull_message(const std::string& broker_addr,
                                   const protocol::PullMessageRequestHeader& header,
                                   std::chrono::milliseconds timeout, client::PullCallback callback) {
  PullAnswer answer;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pull_calls_.push_back({broker_addr, header, timeout});
    answer.error = begin_call("pull_message");
    if (!answer.error) {
      const MessageQueue queue = queue_of(broker_addr, header.broker_name, header.topic, header.queue_id);
      auto queued = pull_answers_.find(queue);
      if (queued == pull_answers_.end() || queued->second.empty()) {
        pending_pulls_.push_back({queue, std::move(callback)});
        return;
      }
      answer = std::move(queued->second.front());
      queued->second.pop_front();
    }
  }
  deliver(answer.delay, [callback = std::move(callback), result = std::move(answer.result),
                         error = answer.error]() mutable { callback(std::move(result), error); });
}

std::int64_t FakeMQClientAPI::query_consumer_offset(
    const std::string& broker_addr, const protocol::QueryConsumerOffsetRequestHeader& header) {
  std::lock_guard<std::mutex> lock(mutex_);
  offset_queries_.push_back({broker_addr, header});
  if (auto failure = begin_call("query_consumer_offset")) std::rethrow_exception(failure);
  const MessageQueue queue = queue_of(broker_addr, header.broker_name, header.topic, header.queue_id);
  auto it = committed_offsets_.find({header.consumer_group, queue});
  if (it != committed_offsets_.end()) return it->second;
  // The broker's rule (ConsumerManageProcessor): 0 for a group new to a queue that still starts at 0.
  if (header.set_zero_if_not_found.value_or(true) && value_or_zero(min_offsets_, queue) <= 0) return 0;
  std::rethrow_exception(broker_error(static_cast<int>(ResponseCode::kQueryNotFound),
                                      "Not found, maybe this group consumer boot first"));
}

void FakeMQClientAPI::update_consumer_offset(const std::string& broker_addr,
                                             const protocol::UpdateConsumerOffsetRequestHeader& header,
                                             bool oneway) {
  std::lock_guard<std::mutex> lock(mutex_);
  offset_updates_.push_back({broker_addr, header, oneway});
  if (auto failure = begin_call("update_consumer_offset")) std::rethrow_exception(failure);
  const MessageQueue queue = queue_of(broker_addr, header.broker_name, header.topic, header.queue_id);
  committed_offsets_[{header.consumer_group, queue}] = header.commit_offset;
}

std::vector<std::string> FakeMQClientAPI::get_consumer_id_list(const std::string& broker_addr,
                                                               const std::string& group) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto failure = begin_call("get_consumer_id_list")) std::rethrow_exception(failure);
  auto it = consumer_ids_.find(group);
  return it == consumer_ids_.end() ? std::vector<std::string>{} : it->second;
}

void FakeMQClientAPI::consumer_send_message_back(const std::string& broker_addr,
                                                 const protocol::ConsumerSendMsgBackRequestHeader& header) {
  std::lock_guard<std::mutex> lock(mutex_);
  send_backs_.push_back({broker_addr, header});
  if (auto failure = begin_call("consumer_send_message_back")) std::rethrow_exception(failure);
}

std::set<MessageQueue> FakeMQClientAPI::lock_batch(const std::string& broker_addr,
                                                   const protocol::LockBatchRequestBody& body) {
  std::lock_guard<std::mutex> lock(mutex_);
  lock_calls_.push_back({broker_addr, body});
  if (auto failure = begin_call("lock_batch")) std::rethrow_exception(failure);
  std::set<MessageQueue> locked;
  for (const MessageQueue& queue : body.mq_set) {
    auto [owner, inserted] = lock_owners_.emplace(queue, body.client_id);
    if (inserted || owner->second == body.client_id) locked.insert(queue);
  }
  return locked;
}

void FakeMQClientAPI::unlock_batch(const std::string& broker_addr,
                                   const protocol::UnlockBatchRequestBody& body, bool oneway) {
  std::lock_guard<std::mutex> lock(mutex_);
  unlock_calls_.push_back({broker_addr, body, oneway});
  if (auto failure = begin_call("unlock_batch")) std::rethrow_exception(failure);
  for (const MessageQueue& queue : body.mq_set) {
    auto owner = lock_owners_.find(queue);
    if (owner != lock_owners_.end() && owner->second == body.client_id) lock_owners_.erase(owner);
  }
}

// ---- client --------------------------------------------------------------------------------------

int FakeMQClientAPI::send_heartbeat(const std::string& broker_addr,
                                    const protocol::HeartbeatData& heartbeat) {
  std::lock_guard<std::mutex> lock(mutex_);
  heartbeats_.push_back({broker_addr, heartbeat});
  if (auto failure = begin_call("send_heartbeat")) std::rethrow_exception(failure);
  return broker_version_;
}

void FakeMQClientAPI::unregister_client(const std::string& broker_addr,
                                        const protocol::UnregisterClientRequestHeader& header) {
  std::lock_guard<std::mutex> lock(mutex_);
  unregisters_.push_back({broker_addr, header});
  if (auto failure = begin_call("unregister_client")) std::rethrow_exception(failure);
}

// ---- configuration -------------------------------------------------------------------------------

void FakeMQClientAPI::set_topic_route(const std::string& topic, protocol::TopicRouteData route) {
  std::lock_guard<std::mutex> lock(mutex_);
  routes_[topic] = std::move(route);
}

void FakeMQClientAPI::remove_topic_route(const std::string& topic) {
  std::lock_guard<std::mutex> lock(mutex_);
  routes_.erase(topic);
}

void FakeMQClientAPI::set_cluster_info(protocol::ClusterInfo info) {
  std::lock_guard<std::mutex> lock(mutex_);
  cluster_info_ = std::move(info);
}

void FakeMQClientAPI::set_broker_name(const std::string& broker_addr, const std::string& broker_name) {
  std::lock_guard<std::mutex> lock(mutex_);
  broker_names_[broker_addr] = broker_name;
}

void FakeMQClientAPI::set_committed_offset(const std::string& group, const MessageQueue& queue,
                                           std::int64_t offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  committed_offsets_[{group, queue}] = offset;
}

std::optional<std::int64_t> FakeMQClientAPI::committed_offset(const std::string& group,
                                                              const MessageQueue& queue) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = committed_offsets_.find({group, queue});
  if (it == committed_offsets_.end()) return std::nullopt;
  return it->second;
}

void FakeMQClientAPI::set_min_offset(const MessageQueue& queue, std::int64_t offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  min_offsets_[queue] = offset;
}

void FakeMQClientAPI::set_max_offset(const MessageQueue& queue, std::int64_t offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  max_offsets_[queue] = offset;
}

void FakeMQClientAPI::set_search_offset(const MessageQueue& queue, std::int64_t offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  search_offsets_[queue] = offset;
}

void FakeMQClientAPI::set_consumer_ids(const std::string& group, std::vector<std::string> client_ids) {
  std::lock_guard<std::mutex> lock(mutex_);
  consumer_ids_[group] = std::move(client_ids);
}

void FakeMQClientAPI::set_broker_version(int version) {
  std::lock_guard<std::mutex> lock(mutex_);
  broker_version_ = version;
}

void FakeMQClientAPI::set_lock_owner(const MessageQueue& queue, std::optional<std::string> client_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (client_id) {
    lock_owners_[queue] = std::move(*client_id);
  } else {
    lock_owners_.erase(queue);
  }
}

std::optional<std::string> FakeMQClientAPI::lock_owner(const MessageQueue& queue) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = lock_owners_.find(queue);
  if (it == lock_owners_.end()) return std::nullopt;
  return it->second;
}

void FakeMQClientAPI::fail_next(const std::string& method, std::exception_ptr error, std::size_t times) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t i = 0; i < times; ++i) failures_[method].push_back(error);
}

std::size_t FakeMQClientAPI::call_count(const std::string& method) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = call_counts_.find(method);
  return it == call_counts_.end() ? 0 : it->second;
}

// ---- pulls ---------------------------------------------------------------------------------------

void FakeMQClientAPI::push_pull_result(const MessageQueue& queue, client::PullResult result,
                                       std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mutex_);
  pull_answers_[queue].push_back({std::move(result), nullptr, delay});
}

void FakeMQClientAPI::push_pull_error(const MessageQueue& queue, std::exception_ptr error,
                                      std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mutex_);
  pull_answers_[queue].push_back({client::PullResult{}, std::move(error), delay});
}

std::size_t FakeMQClientAPI::pending_pulls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pending_pulls_.size();
}

std::size_t FakeMQClientAPI::pending_pulls(const MessageQueue& queue) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t count = 0;
  for (const auto& pending : pending_pulls_) count += pending.queue == queue ? 1 : 0;
  return count;
}

bool FakeMQClientAPI::answer_pending(const MessageQueue& queue, client::PullResult result,
                                     std::exception_ptr error) {
  client::PullCallback callback;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = pending_pulls_.begin();
    while (it != pending_pulls_.end() && it->queue != queue) ++it;
    if (it == pending_pulls_.end()) return false;
    callback = std::move(it->callback);
    pending_pulls_.erase(it);
  }
  deliver(std::chrono::milliseconds(0),
          [callback = std::move(callback), result = std::move(result), error = std::move(error)]() mutable {
            callback(std::move(result), error);
          });
  return true;
}

bool FakeMQClientAPI::complete_next_pull(const MessageQueue& queue, client::PullResult result) {
  return answer_pending(queue, std::move(result), nullptr);
}

bool FakeMQClientAPI::fail_next_pull(const MessageQueue& queue, std::exception_ptr error) {
  return answer_pending(queue, client::PullResult{}, std::move(error));
}

std::size_t FakeMQClientAPI::fail_pending_pulls(std::exception_ptr error) {
  std::deque<PendingPull> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pending.swap(pending_pulls_);
  }
  for (auto& pull : pending) {
    deliver(std::chrono::milliseconds(0),
            [callback = std::move(pull.callback), error]() { callback(client::PullResult{}, error); });
  }
  return pending.size();
}

// ---- call records --------------------------------------------------------------------------------

#define ROCKETMQ_FAKE_RECORD_ACCESSOR(Type, name)                    \
  std::vector<FakeMQClientAPI::Type> FakeMQClientAPI::name() const { \
    std::lock_guard<std::mutex> lock(mutex_);                        \
    return name##_;                                                  \
  }

ROCKETMQ_FAKE_RECORD_ACCESSOR(CreateTopicCall, create_topic_calls)
ROCKETMQ_FAKE_RECORD_ACCESSOR(SendCall, send_calls)
ROCKETMQ_FAKE_RECORD_ACCESSOR(PullCall, pull_calls)
ROCKETMQ_FAKE_RECORD_ACCESSOR(OffsetQueryCall, offset_queries)
ROCKETMQ_FAKE_RECORD_ACCESSOR(OffsetUpdateCall, offset_updates)
ROCKETMQ_FAKE_RECORD_ACCESSOR(SendBackCall, send_backs)
ROCKETMQ_FAKE_RECORD_ACCESSOR(LockCall, lock_calls)
ROCKETMQ_FAKE_RECORD_ACCESSOR(UnlockCall, unlock_calls)
ROCKETMQ_FAKE_RECORD_ACCESSOR(HeartbeatCall, heartbeats)
ROCKETMQ_FAKE_RECORD_ACCESSOR(UnregisterCall, unregisters)

#undef ROCKETMQ_FAKE_RECORD_ACCESSOR

void FakeMQClientAPI::clear_calls() {
  std::lock_guard<std::mutex> lock(mutex_);
  call_counts_.clear();
  create_topic_calls_.clear();
  send_calls_.clear();
  pull_calls_.clear();
  offset_queries_.clear();
  offset_updates_.clear();
  send_backs_.clear();
  lock_calls_.clear();
  unlock_calls_.clear();
  heartbeats_.clear();
  unregisters_.clear();
}

}  // namespace rocketmq::test
