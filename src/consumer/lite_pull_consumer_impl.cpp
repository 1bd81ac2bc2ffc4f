#include "consumer/lite_pull_consumer_impl.h"

#include <algorithm>
#include <utility>

#include "client/transport_failure.h"
#include "common/log.h"
#include "common/validators.h"
#include "consumer/message_ext_data.h"
#include "consumer/start_position.h"
#include "filter/subscription.h"
#include "protocol/response_code.h"
#include "remoting/remoting_command.h"
#include "rocketmq/error.h"
#include "rocketmq/version.h"

namespace rocketmq {

namespace {

// The Java lite pull consumer's figures: long polling held up to 20 s at the broker, a 30 s
// request timeout; 1 s back-off after a failed pull; a paused or full queue looks again every 50 ms
// (a resume or a poll is seen that fast without a wake-up path into the loops).
constexpr std::chrono::milliseconds kPullTimeout{30000};
constexpr std::int64_t kBrokerSuspendMillis = 20000;
// A pull sent to a slave is held there this long at most (see PullAPIWrapper::build_request).
constexpr std::int64_t kReplicaSuspendMillis = 3000;
constexpr std::chrono::milliseconds kPullRetryDelay{1000};
constexpr std::chrono::milliseconds kWaitDelay{50};
constexpr std::chrono::milliseconds kOffsetRetryDelay{1000};

std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& thrown) {
    return thrown.what();
  } catch (...) {
    return "a non-standard exception";
  }
}

// A broker that does not serve LITE_PULL_MESSAGE: before 5.0 it does not know the code; from 5.0
// on it may have lite pulls switched off (litePullMessageEnable=false).
bool refuses_lite_pull(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const BrokerError& refused) {
    const auto code = refused.response_code();
    return code == static_cast<int>(protocol::ResponseCode::kRequestCodeNotSupported) ||
           (code == static_cast<int>(protocol::ResponseCode::kNoPermission) &&
            refused.remark().find("lite pull") != std::string::npos);
  } catch (...) {
    return false;
  }
}

std::int64_t body_bytes(const std::vector<MessageExt>& messages) {
  std::int64_t bytes = 0;
  for (const auto& message : messages) {
    bytes += static_cast<std::int64_t>(detail::MessageExtAccess::data(message).body_size());
  }
  return bytes;
}

}  // namespace

consumer::LitePullConsumerImpl::LitePullConsumerImpl(ConsumerOption option)
    : option_(std::move(option)),
      instance_name_(client::ClientConfig::resolve_instance_name(
          option_.instance_name(), option_.message_model() == MessageModel::Clustering)) {}

void consumer::LitePullConsumerImpl::require_running(const char* what) const {
  if (state_.load() != State::Running) throw ClientError(std::string(what) + " needs a started consumer");
}

// ---- setup --------------------------------------------------------------------------------------

void consumer::LitePullConsumerImpl::subscribe(const std::string& topic, const std::string& expression,
                                               ExpressionType type) {
  common::validate_topic_name(topic);
  auto subscription = filter::build_subscription(topic, expression, type);
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_.load() != State::Created) throw ClientError("subscribe must be called before start()");
  if (assign_mode_) throw ClientError("subscribe after assign(): a lite pull consumer does one or the other");
  subscribe_mode_ = true;
  subscriptions_[topic] = std::move(subscription);
}

void consumer::LitePullConsumerImpl::assign(const std::vector<MessageQueue>& queues) {
  for (const auto& queue : queues) {
    common::validate_topic_name(queue.topic);
    if (queue.broker_name.empty() || queue.queue_id < 0) {
      throw ClientError("assign: " + queue.to_string() + " names no broker or a negative queue id");
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const State state = state_.load();
    if (state == State::ShuttingDown || state == State::Stopped) throw ClientError("assign after shutdown");
    if (subscribe_mode_) throw ClientError("assign after subscribe(): a lite pull consumer does one or the other");
    assign_mode_ = true;
    assigned_ = std::set<MessageQueue>(queues.begin(), queues.end());
    for (const auto& queue : assigned_) {
      if (!subscriptions_.count(queue.topic)) {
        subscriptions_[queue.topic] = filter::build_subscription(queue.topic, "*", ExpressionType::Tag);
      }
    }
    // Topics no longer assigned leave the heartbeat's subscriptions.
    for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
      const bool used = std::any_of(assigned_.begin(), assigned_.end(),
                                    [&](const MessageQueue& queue) { return queue.topic == it->first; });
      it = used ? std::next(it) : subscriptions_.erase(it);
    }
    if (state != State::Running) return;
  }
  apply_assignment();
}

void consumer::LitePullConsumerImpl::set_auto_commit(bool enabled) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_.load() != State::Created) throw ClientError("set_auto_commit must be called before start()");
  auto_commit_ = enabled;
}

void consumer::LitePullConsumerImpl::start() {
  std::lock_guard<std::mutex> serial(shutdown_mutex_);
  std::unique_lock<std::mutex> lock(mutex_);
  if (state_.load() != State::Created) throw ClientError("start() called twice, or after shutdown()");
  if (option_.name_server_addr().empty()) throw ClientError("start(): no name server address (set_name_server_addr)");
  if (option_.group_name().empty()) throw ClientError("start(): no consumer group (set_group_name)");

  instance_ = client::MQClientInstance::acquire(consumer_client_config(option_, instance_name_));
  struct AbandonOnThrow {
    LitePullConsumerImpl* self;
    bool armed = true;
    ~AbandonOnThrow() {
      if (armed) self->abandon_start();
    }
  } undo{this};
  offset_store_ = make_offset_store(instance_, option_);
  offset_store_->load();
  PullAPIWrapper::Settings pull_settings;
  pull_settings.group = option_.group_name();
  pull_settings.pull_batch_size = option_.pull_batch_size();
  pull_settings.clustering = false;  // lite pulls never commit offsets: commits are the application's
  pull_settings.timeout = kPullTimeout;
  pull_settings.broker_suspend_millis = kBrokerSuspendMillis;
  pull_settings.replica_suspend_millis = kReplicaSuspendMillis;
  pull_api_ = std::make_unique<PullAPIWrapper>(*instance_, pull_settings);
  rebalance_ = std::make_unique<RebalanceImpl>(option_.group_name(), instance_->client_id(), option_.message_model(),
                                               option_.allocate_strategy(), *this);
  if (subscribe_mode_) {
    for (const auto& [topic, subscription] : subscriptions_) rebalance_->set_subscription(topic, subscription);
  }
  std::set<std::string> topics;
  for (const auto& [topic, subscription] : subscriptions_) topics.insert(topic);
  const bool assign_mode = assign_mode_;
  lock.unlock();
  fetch_start_routes(*instance_, option_, topics);
  if (option_.has_credentials()) {
    protocol::HeartbeatData heartbeat;
    heartbeat.consumer_data_set.push_back(consumer_data());
    instance_->check_broker_access(std::move(heartbeat));  // AuthError for refused keys or topics
  }
  instance_->register_consumer(shared_from_this());
  undo.armed = false;
  state_ = State::Running;
  for (const auto& topic : topics) {
    if (auto route = instance_->cached_route(topic)) on_topic_route(topic, *route);
  }
  auto weak = weak_from_this();
  instance_->scheduler().post([weak] {
    auto self = weak.lock();
    if (!self || self->state_.load() != State::Running) return;
    self->instance_->send_heartbeat_to_all_brokers();
    self->do_rebalance();
  });
  if (assign_mode) apply_assignment();
  LOG_INFO("lite pull consumer " << option_.group_name() << " started as " << instance_->client_id() << " ("
                                 << (auto_commit_ ? "auto commit" : "manual commit") << ")");
}

void consumer::LitePullConsumerImpl::abandon_start() {
  if (instance_) instance_->shutdown_if_unused();
  rebalance_.reset();
  offset_store_.reset();
  pull_api_.reset();
  instance_.reset();
}

void consumer::LitePullConsumerImpl::shutdown() {
  std::lock_guard<std::mutex> serial(shutdown_mutex_);
  State expected = State::Running;
  if (!state_.compare_exchange_strong(expected, State::ShuttingDown)) {
    if (expected == State::Created) state_ = State::Stopped;
    return;
  }
  LOG_INFO("lite pull consumer " << option_.group_name() << " shutting down");
  // Subscribe mode: the rebalance gives every queue up (and takes none any more); either way every
  // queue's loop ends at its next step, and poll() callers wake up empty-handed.
  if (subscribe_mode_) rebalance_->drop_all();
  std::vector<MessageQueue> queues;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [queue, state] : queues_) {
      state->process_queue->mark_dropped();
      queues.push_back(queue);
    }
    queues_.clear();
    buffer_.clear();
  }
  polled_cv_.notify_all();
  // The store holds the polled positions (auto commit) or those of the last commit() (manual).
  const auto failed = persist_queues(queues);
  if (!failed.empty()) {
    LOG_WARN("lite pull consumer " << option_.group_name() << ": " << failed.size()
                                   << " queue(s) not committed at shutdown; their messages may come again");
  }
  instance_->unregister_consumer(option_.group_name());
  state_ = State::Stopped;
  instance_->shutdown_if_unused();
  LOG_INFO("lite pull consumer " << option_.group_name() << " stopped");
}

std::string consumer::LitePullConsumerImpl::client_id() const {
  client::ClientConfig config;
  config.instance_name = instance_name_;
  return config.client_id();
}

// ---- the application's calls --------------------------------------------------------------------

void consumer::LitePullConsumerImpl::wait_for_pollers() {
  std::unique_lock<std::mutex> lock(mutex_);
  pollers_cv_.wait(lock, [this] { return pollers_ == 0; });
}

std::vector<MessageExt> consumer::LitePullConsumerImpl::poll(std::chrono::milliseconds timeout) {
  if (state_.load() == State::Created) throw ClientError("poll needs a started consumer");
  const auto deadline = std::chrono::steady_clock::now() + std::max(timeout, std::chrono::milliseconds(0));
  std::unique_lock<std::mutex> lock(mutex_);
  // Counted, so that ~LitePullConsumer waits for callers it woke to leave before the engine goes.
  ++pollers_;
  struct Leave {
    LitePullConsumerImpl& self;
    ~Leave() {
      if (--self.pollers_ == 0) self.pollers_cv_.notify_all();
    }
  } leave{*this};
  for (;;) {
    if (state_.load() != State::Running) return {};
    for (auto it = buffer_.begin(); it != buffer_.end();) {
      auto& state = *it->state;
      if (state.process_queue->dropped() || it->epoch != state.epoch) {
        it = buffer_.erase(it);  // its queue was given up or moved; its counts went with it
        continue;
      }
      if (state.paused) {
        ++it;
        continue;
      }
      PulledBatch batch = std::move(*it);
      buffer_.erase(it);
      state.buffered_messages -= static_cast<std::int64_t>(batch.messages.size());
      state.buffered_bytes -= batch.bytes;
      state.buffered_results -= 1;
      set_consumed_locked(state, batch.next_offset);
      if (batch.messages.empty()) {
        it = buffer_.begin();  // an empty result only moved the position; the erase invalidated `it`
        continue;
      }
      polled_.fetch_add(static_cast<std::int64_t>(batch.messages.size()), std::memory_order_relaxed);
      return std::move(batch.messages);
    }
    if (polled_cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
        std::chrono::steady_clock::now() >= deadline) {
      // One last look: a result buffered just as the wait timed out is returned, not left waiting.
      bool ready = false;
      for (const auto& batch : buffer_) ready = ready || (!batch.state->paused && !batch.messages.empty());
      if (!ready) return {};
    }
  }
}

std::vector<MessageQueue> consumer::LitePullConsumerImpl::fetch_message_queues(const std::string& topic) {
  common::validate_topic_name(topic);
  require_running("fetch_message_queues");
  protocol::TopicRouteData route;
  try {
    route = instance_->update_topic_route(topic);
  } catch (const BrokerError& error) {
    if (error.response_code() == static_cast<int>(protocol::ResponseCode::kTopicNotExist)) {
      throw ClientError("fetch_message_queues: topic " + topic + " does not exist");
    }
    throw;
  }
  auto queues = route.subscribe_queues(topic);
  if (queues.empty()) throw ClientError("fetch_message_queues: topic " + topic + " has no readable queue");
  std::sort(queues.begin(), queues.end());
  return queues;
}

std::vector<MessageQueue> consumer::LitePullConsumerImpl::assignment() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<MessageQueue> queues;
  for (const auto& [queue, state] : queues_) queues.push_back(queue);
  return queues;
}

std::shared_ptr<consumer::LitePullConsumerImpl::QueueState> consumer::LitePullConsumerImpl::require_read(
    const char* what, const MessageQueue& queue) const {
  require_running(what);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = queues_.find(queue);
  if (it == queues_.end()) {
    throw ClientError(std::string(what) + ": " + queue.to_string() +
                      " is not read by this consumer now (see assignment())");
  }
  return it->second;
}

void consumer::LitePullConsumerImpl::seek(const MessageQueue& queue, std::int64_t offset) {
  auto state = require_read("seek", queue);
  auto address = instance_->broker_address(queue.broker_name);
  if (!address) throw ClientError("seek: no address of broker " + queue.broker_name + " is known");
  std::int64_t min_offset = 0;
  std::int64_t max_offset = 0;
  try {
    min_offset = instance_->api().get_min_offset(*address, queue.topic, queue.queue_id);
    max_offset = instance_->api().get_max_offset(*address, queue.topic, queue.queue_id);
  } catch (const std::exception& error) {
    throw ClientError("seek: the offsets of " + queue.to_string() + " could not be read from broker " +
                      queue.broker_name + ": " + error.what());
  }
  if (offset < min_offset || offset > max_offset) {
    throw ClientError("seek: offset " + std::to_string(offset) + " of " + queue.to_string() + " is outside [" +
                      std::to_string(min_offset) + ", " + std::to_string(max_offset) + "]");
  }
  Loop loop;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state->process_queue->dropped()) {
      throw ClientError("seek: " + queue.to_string() + " was given up meanwhile (rebalance or assign)");
    }
    loop = reposition_locked(state, offset);
  }
  LOG_INFO("lite pull consumer " << option_.group_name() << ": " << queue.to_string() << " moved to " << offset);
  guarded_pull(loop);
}

void consumer::LitePullConsumerImpl::seek_to_begin(const MessageQueue& queue) { seek_to_edge("seek_to_begin", queue, true); }

void consumer::LitePullConsumerImpl::seek_to_end(const MessageQueue& queue) { seek_to_edge("seek_to_end", queue, false); }

void consumer::LitePullConsumerImpl::seek_to_edge(const char* what, const MessageQueue& queue, bool begin) {
  require_read(what, queue);
  auto address = instance_->broker_address(queue.broker_name);
  if (!address) throw ClientError(std::string(what) + ": no address of broker " + queue.broker_name + " is known");
  std::int64_t offset = 0;
  try {
    offset = begin ? instance_->api().get_min_offset(*address, queue.topic, queue.queue_id)
                   : instance_->api().get_max_offset(*address, queue.topic, queue.queue_id);
  } catch (const std::exception& error) {
    throw ClientError(std::string(what) + ": the offsets of " + queue.to_string() + " could not be read from broker " +
                      queue.broker_name + ": " + error.what());
  }
  seek(queue, offset);
}

consumer::LitePullConsumerImpl::Loop consumer::LitePullConsumerImpl::reposition_locked(
    const std::shared_ptr<QueueState>& state, std::int64_t offset) {
  discard_buffered_locked(*state);
  state->epoch += 1;
  state->next_pull_offset = offset;
  // The consumed position: what commit() (or, with auto commit, the next periodic commit) writes.
  set_consumed_locked(*state, offset);
  return Loop{state, state->epoch};
}

void consumer::LitePullConsumerImpl::pause(const std::vector<MessageQueue>& queues) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& queue : queues) {
    paused_.insert(queue);
    if (auto it = queues_.find(queue); it != queues_.end()) it->second->paused = true;
  }
}

void consumer::LitePullConsumerImpl::resume(const std::vector<MessageQueue>& queues) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& queue : queues) {
      paused_.erase(queue);
      if (auto it = queues_.find(queue); it != queues_.end()) it->second->paused = false;
    }
  }
  polled_cv_.notify_all();  // their buffered results may be polled now
}

void consumer::LitePullConsumerImpl::commit() {
  require_running("commit");
  std::vector<MessageQueue> queues;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [queue, state] : queues_) {
      if (state->consumed_offset < 0) continue;
      offset_store_->update_offset(queue, state->consumed_offset, false);
      queues.push_back(queue);
    }
  }
  const auto failed = persist_queues(queues);
  if (!failed.empty()) {
    std::string names;
    for (const auto& queue : failed) names += (names.empty() ? "" : ", ") + queue.to_string();
    throw ClientError("commit: the brokers did not take the offsets of " + names +
                      " (the other queues were committed; commit again)");
  }
}

std::int64_t consumer::LitePullConsumerImpl::committed_offset(const MessageQueue& queue) const {
  require_running("committed_offset");
  const auto stored = offset_store_->read_offset(queue, ReadOffsetType::Store);
  if (stored.is_unknown()) {
    throw ClientError("committed_offset: the offset of " + queue.to_string() + " could not be read from broker " +
                      queue.broker_name);
  }
  return stored.value_or_minus_one();
}

LitePullStats consumer::LitePullConsumerImpl::stats() const {
  LitePullStats stats;
  stats.pulls = pulls_.load();
  stats.pull_errors = pull_errors_.load();
  stats.polled = polled_.load();
  stats.lite_pull_requests = lite_requests_.load();
  stats.classic_pull_requests = classic_requests_.load();
  stats.undecodable_messages = undecodable_.load();
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [queue, state] : queues_) {
    stats.cached_messages += state->buffered_messages;
    stats.cached_bytes += state->buffered_bytes;
  }
  stats.owned_queues = static_cast<int>(queues_.size());
  return stats;
}

void consumer::LitePullConsumerImpl::report_uncommitted(const char* why, const std::vector<MessageQueue>& queues) {
  for (const auto& queue : queues) {
    LOG_WARN("lite pull consumer " << option_.group_name() << " (" << why << "): the broker did not take the offset of "
                                   << queue.to_string() << "; its messages may come again");
    on_background_error(BackgroundError{"commit_offset",
                                        "broker " + queue.broker_name + " did not take the offset of " +
                                            queue.to_string(),
                                        nullptr});
  }
}

std::vector<MessageQueue> consumer::LitePullConsumerImpl::persist_queues(const std::vector<MessageQueue>& queues) {
  std::vector<MessageQueue> failed;
  std::set<std::string> failed_brokers;
  for (const auto& queue : queues) {
    // A broker that did not answer is given up for the rest: a dead one costs one request
    // timeout, not one per queue.
    if (failed_brokers.count(queue.broker_name) || !offset_store_->persist(queue)) {
      failed_brokers.insert(queue.broker_name);
      failed.push_back(queue);
    }
  }
  return failed;
}

// ---- the pull loops ---------------------------------------------------------------------------------

bool consumer::LitePullConsumerImpl::alive_locked(const Loop& loop) const {
  return state_.load() == State::Running && !loop.state->process_queue->dropped() && loop.epoch == loop.state->epoch;
}

void consumer::LitePullConsumerImpl::set_consumed_locked(QueueState& state, std::int64_t offset) {
  state.consumed_offset = offset;
  if (auto_commit_) offset_store_->update_offset(state.queue, offset, false);
}

void consumer::LitePullConsumerImpl::discard_buffered_locked(QueueState& state) {
  buffer_.erase(std::remove_if(buffer_.begin(), buffer_.end(),
                               [&](const PulledBatch& batch) { return batch.state.get() == &state; }),
                buffer_.end());
  state.buffered_messages = 0;
  state.buffered_bytes = 0;
  state.buffered_results = 0;
}

// pull() never blocks, so its delays run on the I/O threads' timers: the scheduler may sit in a
// synchronous request to a dead broker for a whole request timeout (heartbeats, commits, start
// offsets), and every queue's loop would wait behind it.
void consumer::LitePullConsumerImpl::pull_later(const Loop& loop, std::chrono::milliseconds delay) {
  if (state_.load() != State::Running) return;
  auto weak = weak_from_this();
  instance_->remoting_run_after(delay, [weak, loop] {
    if (auto self = weak.lock()) self->guarded_pull(loop);
  });
}

void consumer::LitePullConsumerImpl::guarded_pull(const Loop& loop) noexcept {
  try {
    pull(loop);
    return;
  } catch (const std::exception& error) {
    LOG_ERROR("pull loop of " << loop.state->queue.to_string() << " failed: " << error.what()
                              << "; pulling again in 1 s");
  } catch (...) {
    LOG_ERROR("pull loop of " << loop.state->queue.to_string() << " failed with a non-standard exception");
  }
  try {
    pull_later(loop, kPullRetryDelay);
  } catch (...) {
    // Out of memory even for a timer: the queue is given up, and taken again by the next rebalance
    // (subscribe) or assign().
    loop.state->process_queue->mark_dropped();
  }
}

bool consumer::LitePullConsumerImpl::lite_pull_for(const std::string& address) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (classic_pull_brokers_.count(address)) return false;
  }
  // Unknown (no heartbeat answer yet): lite, and a refusal switches this broker to PULL_MESSAGE.
  const auto version = instance_->known_broker_version(address);
  return !version || *version >= remoting::kVersion5_0_0Snapshot;
}

void consumer::LitePullConsumerImpl::compute_start_and_pull(const Loop& loop) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!alive_locked(loop)) return;
  }
  const auto offset = compute_pull_offset(loop.state->queue);
  if (offset < 0) {
    pull_later(loop, kOffsetRetryDelay);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!alive_locked(loop)) return;
    if (loop.state->next_pull_offset < 0) {
      loop.state->next_pull_offset = offset;
      // With auto commit the start is committed like any polled position, so a group that stops
      // before polling resumes here (not at a later end of the queue), as a push consumer does.
      if (loop.state->consumed_offset < 0) set_consumed_locked(*loop.state, offset);
    }
  }
  guarded_pull(loop);
}

void consumer::LitePullConsumerImpl::pull(const Loop& loop) {
  std::int64_t offset = 0;
  protocol::SubscriptionData subscription;
  const MessageQueue& queue = loop.state->queue;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!alive_locked(loop)) return;  // given up, moved by a seek, or shutting down: this loop ends
    auto& state = *loop.state;
    if (state.paused || state.buffered_messages >= option_.process_queue_size() ||
        state.buffered_bytes >= option_.process_queue_bytes()) {
      pull_later(loop, kWaitDelay);
      return;
    }
    auto subscribed = subscriptions_.find(queue.topic);
    if (subscribed == subscriptions_.end()) {
      pull_later(loop, kPullRetryDelay);  // unsubscribed meanwhile: the rebalance or assign drops it
      return;
    }
    subscription = subscribed->second;
    offset = state.next_pull_offset;
  }
  if (offset < 0) {
    // The start offset asks the broker (blocking): on the scheduler, never on an I/O thread.
    auto weak = weak_from_this();
    instance_->scheduler().post([weak, loop] {
      auto self = weak.lock();
      if (!self) return;
      try {
        self->compute_start_and_pull(loop);
      } catch (...) {
        self->guarded_later(loop);
      }
    });
    return;
  }
  auto address = pull_api_->pull_address(queue);
  if (!address) {
    LOG_WARN("no address for broker " << queue.broker_name << "; refreshing the route of " << queue.topic);
    instance_->refresh_route_soon(queue.topic);
    pull_later(loop, kPullRetryDelay);
    return;
  }
  auto header = pull_api_->build_request(queue, *address, offset, 0, subscription);
  const bool lite = lite_pull_for(*address);
  if (lite) header.sys_flag |= PullAPIWrapper::kFlagLitePull;
  (lite ? lite_requests_ : classic_requests_).fetch_add(1, std::memory_order_relaxed);
  auto weak = weak_from_this();
  try {
    pull_api_->send(*address, header,
                    [weak, loop, address = *address, offset, lite](client::PullResult&& result, std::exception_ptr error) {
                      auto self = weak.lock();
                      if (!self) return;
                      try {
                        self->on_pulled(loop, address, offset, lite, std::move(result), error);
                      } catch (...) {
                        // A decoder or allocation failure must not end the loop silently.
                        LOG_ERROR("pull answer of " << loop.state->queue.to_string() << " not handled; "
                                                    << "pulling again in 1 s");
                        self->guarded_later(loop);
                      }
                    });
  } catch (const std::exception& error) {
    LOG_WARN("pull of " << queue.to_string() << " not sent: " << error.what());
    pull_later(loop, kPullRetryDelay);
  }
}

void consumer::LitePullConsumerImpl::on_pulled(const Loop& loop, const std::string& address, std::int64_t offset,
                                               bool lite, client::PullResult&& result, std::exception_ptr error) {
  const MessageQueue& queue = loop.state->queue;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!alive_locked(loop)) return;  // its messages were never polled: nothing of them is committed
  }
  if (error) {
    pull_errors_.fetch_add(1, std::memory_order_relaxed);
    if (lite && refuses_lite_pull(error)) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        classic_pull_brokers_.insert(address);
      }
      LOG_INFO("broker " << queue.broker_name << " at " << address << " does not serve LITE_PULL_MESSAGE ("
                         << describe(error) << "); pulling from it with PULL_MESSAGE");
      guarded_pull(loop);
      return;
    }
    if (const auto refusal = filter::broker_refuses_sql92(error)) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = subscriptions_.find(queue.topic);
      if (it != subscriptions_.end() && it->second.expression_type == protocol::kExpressionTypeSql92) {
        LOG_WARN("broker " << queue.broker_name << " refused SQL92 subscription \"" << it->second.sub_string
                           << "\": " << *refusal << "; " << queue.topic
                           << " is now subscribed with \"*\" at the brokers and the expression is evaluated by"
                           << " this client");
        it->second = filter::client_side_fallback(it->second);
        if (subscribe_mode_) rebalance_->set_subscription(queue.topic, it->second);
      }
      pull_later(loop, std::chrono::milliseconds(0));
      return;
    }
    LOG_WARN("pull of " << queue.to_string() << " at " << offset << " failed: " << describe(error));
    on_background_error(BackgroundError{"pull", "pull of " + queue.to_string() + " failed: " + describe(error), error});
    pull_api_->pull_failed(queue);
    if (client::transport_failure(error) == client::TransportFailure::ConnectionLost) {
      instance_->refresh_route_soon(queue.topic);
    }
    pull_later(loop, kPullRetryDelay);
    return;
  }
  pulls_.fetch_add(1, std::memory_order_relaxed);
  protocol::SubscriptionData subscription;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = subscriptions_.find(queue.topic); it != subscriptions_.end()) subscription = it->second;
  }
  if (!result.rejected.empty()) {
    undecodable_.fetch_add(static_cast<std::int64_t>(result.rejected.size()), std::memory_order_relaxed);
    for (const auto& rejected : result.rejected) {
      LOG_WARN("skipping a record of " << queue.to_string() << " at offset " << rejected.queue_offset
                                       << " this client cannot decode: " << rejected.reason);
    }
  }
  auto messages = pull_api_->process(queue, result, subscription);
  bool buffered = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!alive_locked(loop)) return;
    auto& state = *loop.state;
    switch (result.status) {
      case client::PullStatus::OffsetIllegal:
        // Out of range, or a 5.x broker's server-side reset of the group: the broker's position
        // wins, and what was pulled from the old one is not handed out any more (as after a 4.x
        // reset, which comes as RESET_CONSUMER_CLIENT_OFFSET).
        LOG_WARN("offset " << offset << " of " << queue.to_string() << " is illegal or was reset; the broker "
                           << "says " << result.next_begin_offset);
        discard_buffered_locked(state);
        state.next_pull_offset = result.next_begin_offset;
        set_consumed_locked(state, result.next_begin_offset);
        break;
      case client::PullStatus::Found:
      case client::PullStatus::NoNewMessage:
      case client::PullStatus::NoMatchedMessage:
        state.next_pull_offset = result.next_begin_offset;
        if (!messages.empty() || state.buffered_results > 0) {
          // Behind what is buffered, so the position passes these offsets only once that was polled.
          PulledBatch batch;
          batch.state = loop.state;
          batch.epoch = loop.epoch;
          batch.bytes = body_bytes(messages);
          batch.next_offset = result.next_begin_offset;
          state.buffered_messages += static_cast<std::int64_t>(messages.size());
          state.buffered_bytes += batch.bytes;
          state.buffered_results += 1;
          batch.messages = std::move(messages);
          buffer_.push_back(std::move(batch));
          buffered = true;
        } else if (result.next_begin_offset != state.consumed_offset) {
          set_consumed_locked(state, result.next_begin_offset);  // filtered out, or moved by the broker
        }
        break;
    }
  }
  if (buffered) polled_cv_.notify_all();
  guarded_pull(loop);
}

// ---- client::ConsumerInner ----------------------------------------------------------------------

protocol::ConsumerData consumer::LitePullConsumerImpl::consumer_data() const {
  protocol::ConsumerData data;
  data.group_name = option_.group_name();
  data.consume_type = protocol::kConsumeActively;
  data.message_model =
      option_.message_model() == MessageModel::Broadcasting ? protocol::kBroadcasting : protocol::kClustering;
  data.consume_from_where = consume_from_where_name(option_.consume_from_where());
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [topic, subscription] : subscriptions_) data.subscription_data_set.push_back(subscription);
  return data;
}

std::set<std::string> consumer::LitePullConsumerImpl::subscribed_topics() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::set<std::string> topics;
  for (const auto& [topic, subscription] : subscriptions_) topics.insert(topic);
  return topics;
}

void consumer::LitePullConsumerImpl::on_topic_route(const std::string& topic, const protocol::TopicRouteData& route) {
  if (rebalance_) rebalance_->set_topic_queues(topic, route.subscribe_queues(topic));
}

void consumer::LitePullConsumerImpl::on_background_error(const BackgroundError& error) {
  background_errors_.fetch_add(1, std::memory_order_relaxed);
  if (!option_.error_listener()) return;
  try {
    option_.error_listener()(error);
  } catch (const std::exception& thrown) {
    LOG_WARN("the error listener threw: " << thrown.what());
  } catch (...) {
    LOG_WARN("the error listener threw a non-standard exception");
  }
}

void consumer::LitePullConsumerImpl::do_rebalance() {
  if (state_.load() != State::Running || !subscribe_mode_) return;
  rebalance_->do_rebalance();
}

void consumer::LitePullConsumerImpl::persist_offsets() {
  if (state_.load() != State::Running) return;
  std::set<MessageQueue> queues;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [queue, state] : queues_) queues.insert(queue);
  }
  offset_store_->persist_all(queues);
}

protocol::ConsumerRunningInfo consumer::LitePullConsumerImpl::running_info() {
  protocol::ConsumerRunningInfo info;
  info.properties["PROP_NAMESERVER_ADDR"] = option_.name_server_addr();
  info.properties["PROP_CONSUME_TYPE"] = protocol::kConsumeActively;
  info.properties["PROP_CLIENT_VERSION"] = std::string("rocketmq-cpp ") + version_string();
  info.properties["consumerGroup"] = option_.group_name();
  info.properties["pullBatchSize"] = std::to_string(option_.pull_batch_size());
  info.properties["pullThresholdForQueue"] = std::to_string(option_.process_queue_size());
  info.properties["autoCommit"] = auto_commit_ ? "true" : "false";
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [topic, subscription] : subscriptions_) info.subscription_set.push_back(subscription);
  for (const auto& [queue, state] : queues_) {
    protocol::ProcessQueueInfo queue_info;
    queue_info.commit_offset = state->consumed_offset;
    queue_info.cached_msg_count = static_cast<std::int32_t>(state->buffered_messages);
    queue_info.cached_msg_size_in_mib = static_cast<std::int32_t>(state->buffered_bytes / (1024 * 1024));
    info.mq_table[queue] = queue_info;
  }
  return info;
}

void consumer::LitePullConsumerImpl::reset_offsets(const std::string& topic,
                                                   const std::map<MessageQueue, std::int64_t>& offsets) {
  if (state_.load() != State::Running) return;
  std::vector<Loop> loops;
  std::vector<MessageQueue> moved;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [queue, offset] : offsets) {
      auto it = queues_.find(queue);
      if (it == queues_.end()) continue;
      loops.push_back(reposition_locked(it->second, offset));
      offset_store_->update_offset(queue, offset, false);
      moved.push_back(queue);
    }
  }
  LOG_INFO("broker asked group " << option_.group_name() << " to reset " << offsets.size() << " offset(s) of " << topic
                                 << "; " << moved.size() << " of them are read here");
  report_uncommitted("reset", persist_queues(moved));
  for (const auto& loop : loops) guarded_pull(loop);
}

std::map<MessageQueue, std::int64_t> consumer::LitePullConsumerImpl::offsets_of(const std::string& topic) {
  return offset_store_ ? offset_store_->offsets(topic) : std::map<MessageQueue, std::int64_t>{};
}

protocol::ConsumeMessageDirectlyResult consumer::LitePullConsumerImpl::consume_directly(protocol::StoredMessage,
                                                                                        const std::string&) {
  protocol::ConsumeMessageDirectlyResult result;
  result.consume_result = protocol::kConsumeResultLater;
  result.remark = "a lite pull consumer has no listener to consume a message directly";
  return result;
}

// ---- consumer::RebalanceHost --------------------------------------------------------------------

std::vector<std::string> consumer::LitePullConsumerImpl::find_consumer_ids(const std::string& topic) {
  return find_group_consumer_ids(*instance_, option_.group_name(), topic);
}

std::int64_t consumer::LitePullConsumerImpl::compute_pull_offset(const MessageQueue& queue) {
  return compute_start_offset(*instance_, *offset_store_, option_, queue,
                              [this](const BackgroundError& error) { on_background_error(error); });
}

void consumer::LitePullConsumerImpl::start_pull(const MessageQueue& queue,
                                                const std::shared_ptr<ProcessQueue>& process_queue,
                                                std::int64_t offset) {
  Loop loop;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto state = std::make_shared<QueueState>();
    state->queue = queue;
    state->process_queue = process_queue;
    state->next_pull_offset = offset;
    state->consumed_offset = offset;
    state->paused = paused_.count(queue) > 0;
    queues_[queue] = state;
    loop = Loop{state, 0};
  }
  if (auto_commit_) offset_store_->update_offset(queue, offset, false);
  guarded_pull(loop);
}

bool consumer::LitePullConsumerImpl::on_queue_dropped(const MessageQueue& queue,
                                                      const std::shared_ptr<ProcessQueue>& process_queue) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = queues_.find(queue);
    if (it != queues_.end() && it->second->process_queue == process_queue) {
      discard_buffered_locked(*it->second);
      queues_.erase(it);
    }
  }
  // Its next owner starts where this one's position is: committed now, synchronously.
  report_uncommitted("rebalance", persist_queues({queue}));
  offset_store_->remove_offset(queue);
  pull_api_->forget(queue);
  return true;
}

void consumer::LitePullConsumerImpl::apply_assignment() {
  std::vector<Loop> started;
  std::vector<MessageQueue> stopped;
  std::size_t assigned = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (state_.load() != State::Running) return;
    assigned = assigned_.size();
    for (auto it = queues_.begin(); it != queues_.end();) {
      if (assigned_.count(it->first)) {
        ++it;
        continue;
      }
      it->second->process_queue->mark_dropped();
      discard_buffered_locked(*it->second);
      stopped.push_back(it->first);
      it = queues_.erase(it);
    }
    for (const auto& queue : assigned_) {
      if (queues_.count(queue)) continue;
      auto state = std::make_shared<QueueState>();
      state->queue = queue;
      state->process_queue = std::make_shared<ProcessQueue>();
      state->paused = paused_.count(queue) > 0;
      queues_[queue] = state;
      started.push_back(Loop{state, 0});
    }
  }
  if (!started.empty() || !stopped.empty()) {
    LOG_INFO("lite pull consumer " << option_.group_name() << ": assignment now " << assigned
                                   << " queue(s), " << started.size() << " started, " << stopped.size()
                                   << " stopped");
  }
  // On the application's thread (assign(), start()): the queues it stops are committed before it
  // returns, so a shutdown right after cannot lose their positions.
  report_uncommitted("assign", persist_queues(stopped));
  for (const auto& queue : stopped) {
    offset_store_->remove_offset(queue);
    pull_api_->forget(queue);
  }
  auto weak = weak_from_this();
  instance_->scheduler().post([weak] {
    auto self = weak.lock();
    if (self && self->state_.load() == State::Running) self->instance_->send_heartbeat_to_all_brokers();
  });
  for (const auto& loop : started) guarded_pull(loop);  // the start offset is computed on the scheduler
}

// ---- the public facade -----------------------------------------------------------------------------

LitePullConsumer::LitePullConsumer(ConsumerOption option) : impl_(std::make_unique<Impl>(std::move(option))) {}
LitePullConsumer::~LitePullConsumer() {
  try {
    impl_->core->shutdown();
    impl_->core->wait_for_pollers();
  } catch (const std::exception& error) {
    LOG_ERROR("lite pull consumer shutdown in the destructor failed: " << error.what());
  } catch (...) {
    LOG_ERROR("lite pull consumer shutdown in the destructor failed with a non-standard exception");
  }
}
void LitePullConsumer::subscribe(const std::string& topic, const std::string& expression) {
  impl_->core->subscribe(topic, expression, filter::detect_expression_type(expression));
}
void LitePullConsumer::subscribe_with_selector(const std::string& topic, const MessageSelector& selector) {
  impl_->core->subscribe(topic, selector.expression(), selector.type());
}
void LitePullConsumer::assign(const std::vector<MessageQueue>& queues) { impl_->core->assign(queues); }
void LitePullConsumer::set_auto_commit(bool enabled) { impl_->core->set_auto_commit(enabled); }
void LitePullConsumer::start() { impl_->core->start(); }
void LitePullConsumer::shutdown() { impl_->core->shutdown(); }
std::vector<MessageExt> LitePullConsumer::poll(std::chrono::milliseconds timeout) {
  auto core = impl_->core;  // the engine outlives this call whatever another thread destroys
  return core->poll(timeout);
}
std::vector<MessageQueue> LitePullConsumer::fetch_message_queues(const std::string& topic) {
  return impl_->core->fetch_message_queues(topic);
}
std::vector<MessageQueue> LitePullConsumer::assignment() const { return impl_->core->assignment(); }
void LitePullConsumer::seek(const MessageQueue& queue, std::int64_t offset) { impl_->core->seek(queue, offset); }
void LitePullConsumer::seek_to_begin(const MessageQueue& queue) { impl_->core->seek_to_begin(queue); }
void LitePullConsumer::seek_to_end(const MessageQueue& queue) { impl_->core->seek_to_end(queue); }
void LitePullConsumer::pause(const std::vector<MessageQueue>& queues) { impl_->core->pause(queues); }
void LitePullConsumer::resume(const std::vector<MessageQueue>& queues) { impl_->core->resume(queues); }
void LitePullConsumer::commit() { impl_->core->commit(); }
std::int64_t LitePullConsumer::committed_offset(const MessageQueue& queue) const {
  return impl_->core->committed_offset(queue);
}
LitePullStats LitePullConsumer::stats() const { return impl_->core->stats(); }
std::string LitePullConsumer::client_id() const { return impl_->core->client_id(); }

}  // namespace rocketmq
