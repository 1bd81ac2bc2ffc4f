#include "consumer/push_consumer_impl.h"

#include <chrono>
#include <future>
#include <random>
#include <system_error>
#include <thread>

#include "common/host_info.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/validators.h"
#include "consumer/consume_message_concurrently_service.h"
#include "consumer/consume_message_orderly_service.h"
#include "consumer/local_file_offset_store.h"
#include "consumer/message_ext_data.h"
#include "consumer/remote_broker_offset_store.h"
#include "filter/subscription.h"
#include "protocol/message_const.h"
#include "protocol/response_code.h"
#include "rocketmq/error.h"
#include "rocketmq/version.h"

namespace rocketmq {

namespace {

constexpr std::chrono::milliseconds kPullTimeout{30000};
constexpr std::int64_t kBrokerSuspendMillis = 15000;
constexpr std::chrono::milliseconds kPullRetryDelay{3000};
constexpr std::chrono::milliseconds kFlowControlDelay{50};
constexpr std::chrono::milliseconds kSuspendedDelay{1000};
// A pull loop that has not stepped for this long is restarted (Java drops such process queues).
// Every step of a live loop touches its queue: at least every pull timeout plus a retry delay.
constexpr std::chrono::seconds kPullLoopSilenceLimit{120};
constexpr std::chrono::seconds kCheckConsumptionPeriod{10};
// Orderly clustering: locks are renewed every 20 s and count as lost 30 s after the last renewal
// (a broker keeps them 60 s); a queue given away waits this long for its listener call in flight
// per attempt before the rebalance moves on (and tries again next time).
constexpr std::chrono::seconds kLockRenewPeriod{20};
constexpr std::chrono::seconds kLockMaxAge{30};
constexpr std::chrono::milliseconds kLockWaitDelay{1000};
constexpr std::chrono::milliseconds kReleaseWait{1000};
constexpr std::chrono::milliseconds kRelockRebalanceDelay{1000};
constexpr std::int32_t kPullFlagCommitOffset = 0x1;
constexpr std::int32_t kPullFlagSuspend = 0x2;
constexpr std::int32_t kPullFlagSubscription = 0x4;

std::int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* consume_from_where_name(ConsumeFromWhere where) {
  switch (where) {
    case ConsumeFromWhere::ConsumeFromFirstOffset:
      return protocol::kConsumeFromFirstOffset;
    case ConsumeFromWhere::ConsumeFromTimestamp:
      return protocol::kConsumeFromTimestamp;
    default:
      return protocol::kConsumeFromLastOffset;
  }
}

}  // namespace

PushConsumer::Impl::Impl(ConsumerOption option)
    : option_(std::move(option)),
      instance_name_(client::ClientConfig::resolve_instance_name(
          option_.instance_name(), option_.message_model() == MessageModel::Clustering)) {}

// May run on any thread that held the last reference: a consume thread whose listener call outlived
// the shutdown, an I/O thread finishing a pull, the scheduler. Nothing here waits for long or joins
// its own thread: the pool detaches the calling worker, the instance tears down elsewhere.
PushConsumer::Impl::~Impl() {
  if (consume_service_) consume_service_->close();
  if (pool_) pool_->shutdown(std::chrono::milliseconds(0));
}

void PushConsumer::Impl::require_running(const char* what) const {
  if (state_.load() != State::Running) throw ClientError(std::string(what) + " needs a started consumer");
}

void PushConsumer::Impl::subscribe(const std::string& topic, const std::string& expression, ExpressionType type) {
  common::validate_topic_name(topic);
  auto subscription = filter::build_subscription(topic, expression, type);
  std::lock_guard<std::mutex> lock(mutex_);
  const State state = state_.load();
  if (state == State::ShuttingDown || state == State::Stopped) throw ClientError("subscribe after shutdown");
  pending_subscriptions_[topic] = subscription;
  if (state == State::Running) {
    rebalance_->set_subscription(topic, subscription);
    auto weak = weak_from_this();
    instance_->scheduler().post([weak, topic] {
      auto self = weak.lock();
      if (!self || self->state_.load() != State::Running) return;
      try {
        self->instance_->update_topic_route(topic);
      } catch (const std::exception& error) {
        LOG_WARN("route of newly subscribed " << topic << " unavailable: " << error.what());
      }
      self->instance_->send_heartbeat_to_all_brokers();
      self->instance_->rebalance_soon();
    });
  }
}

void PushConsumer::Impl::unsubscribe(const std::string& topic) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_subscriptions_.erase(topic);
  if (state_.load() == State::Running) {
    rebalance_->remove_subscription(topic);
    instance_->rebalance_soon();
  }
}

void PushConsumer::Impl::set_listener(std::unique_ptr<MessageListenerConcurrently> listener) {
  if (!listener) throw ClientError("register_message_listener: the listener is null");
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_.load() != State::Created) throw ClientError("register_message_listener must be called before start()");
  concurrent_listener_ = std::shared_ptr<MessageListenerConcurrently>(std::move(listener));
  orderly_listener_.reset();
}

void PushConsumer::Impl::set_listener(std::unique_ptr<MessageListenerOrderly> listener) {
  if (!listener) throw ClientError("register_message_listener: the listener is null");
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_.load() != State::Created) throw ClientError("register_message_listener must be called before start()");
  orderly_listener_ = std::shared_ptr<MessageListenerOrderly>(std::move(listener));
  concurrent_listener_.reset();
}

void PushConsumer::Impl::start() {
  // Serialised with shutdown(): a shutdown() during start() waits for it, then stops the consumer.
  std::lock_guard<std::mutex> serial(shutdown_mutex_);
  std::unique_lock<std::mutex> lock(mutex_);
  if (state_.load() != State::Created) throw ClientError("start() called twice, or after shutdown()");
  if (option_.name_server_addr().empty()) throw ClientError("start(): no name server address (set_name_server_addr)");
  if (option_.group_name().empty()) throw ClientError("start(): no consumer group (set_group_name)");
  if (!concurrent_listener_ && !orderly_listener_) {
    throw ClientError("start(): no message listener (register_message_listener)");
  }
  if (pending_subscriptions_.empty()) throw ClientError("start(): no subscription (subscribe)");

  client::ClientConfig config;
  config.name_server_addr = option_.name_server_addr();
  config.instance_name = instance_name_;
  config.request_timeout = option_.request_timeout();
  config.heartbeat_interval = option_.heartbeat_interval();
  config.rebalance_interval = option_.rebalance_interval();
  config.persist_offset_interval = option_.persist_offset_interval();
  client::apply_security(config, option_);
  instance_ = client::MQClientInstance::acquire(config);
  // Whatever fails from here to the registration, nothing but this thread has seen these parts:
  // they are undone so that start() may be retried and the instance is not left acquired.
  struct AbandonOnThrow {
    Impl* self;
    bool armed = true;
    ~AbandonOnThrow() {
      if (armed) self->abandon_start();
    }
  } undo{this};
  const bool broadcasting = option_.message_model() == MessageModel::Broadcasting;
  if (broadcasting) {
    offset_store_ = std::make_unique<consumer::LocalFileOffsetStore>(option_.offset_store_dir(),
                                                                     instance_->client_id(), option_.group_name());
  } else {
    auto weak_instance = std::weak_ptr<client::MQClientInstance>(instance_);
    offset_store_ = std::make_unique<consumer::RemoteBrokerOffsetStore>(
        instance_->api(), option_.group_name(), [weak_instance](const std::string& broker_name) {
          auto instance = weak_instance.lock();
          return instance ? instance->broker_address(broker_name) : std::nullopt;
        });
  }
  offset_store_->load();
  rebalance_ = std::make_unique<consumer::RebalanceImpl>(option_.group_name(), instance_->client_id(),
                                                         option_.message_model(), option_.allocate_strategy(), *this);
  for (const auto& [topic, subscription] : pending_subscriptions_) rebalance_->set_subscription(topic, subscription);
  if (!broadcasting) {
    rebalance_->set_subscription(retry_topic(), filter::build_subscription(retry_topic(), "*", ExpressionType::Tag));
  }
  pool_ = std::make_shared<common::ElasticThreadPool>("consume-" + option_.group_name(), option_.consume_thread_min(),
                                                      option_.consume_thread_max(),
                                                      option_.consume_thread_keep_alive());
  if (orderly_listener_) {
    consumer::ConsumeMessageOrderlyService::Options orderly;
    orderly.batch_size = option_.consume_batch_size();
    orderly.suspend_time = option_.suspend_time();
    orderly.max_reconsume_times = option_.max_reconsume_times();
    orderly.broadcasting = broadcasting;
    orderly.lock_max_age = kLockMaxAge;
    orderly.lock_retry_delay = kLockWaitDelay;
    consume_service_ = std::make_shared<consumer::ConsumeMessageOrderlyService>(
        std::weak_ptr<consumer::ConsumeHost>(weak_from_this()), orderly_listener_, pool_, orderly);
    if (!broadcasting) {
      auto weak_instance = std::weak_ptr<client::MQClientInstance>(instance_);
      locker_ = std::make_unique<consumer::BrokerQueueLocker>(
          instance_->api(), option_.group_name(), instance_->client_id(),
          [weak_instance](const std::string& broker_name) {
            auto instance = weak_instance.lock();
            return instance ? instance->broker_address(broker_name, 0, true) : std::nullopt;
          });
    }
  } else {
    consume_service_ = std::make_shared<consumer::ConsumeMessageConcurrentlyService>(
        std::weak_ptr<consumer::ConsumeHost>(weak_from_this()), concurrent_listener_, pool_,
        option_.consume_batch_size(), option_.consume_timeout(), broadcasting);
  }
  start_timestamp_ = now_millis();

  // Routes first: an unreachable name server is a setup error the caller must see.
  const auto topics = subscribed_topics();
  lock.unlock();
  for (const auto& topic : topics) {
    try {
      instance_->update_topic_route(topic);
    } catch (const BrokerError& error) {
      if (error.response_code() != static_cast<int>(protocol::ResponseCode::kTopicNotExist)) throw;
      if (topic != retry_topic()) LOG_WARN("topic " << topic << " does not exist yet; waiting for it to appear");
    } catch (const ConnectError& error) {
      throw ConnectError("start(): cannot reach the name server " + option_.name_server_addr() + ": " + error.what());
    } catch (const Error& error) {
      throw ClientError("start(): cannot reach the name server " + option_.name_server_addr() + ": " + error.what());
    }
  }
  if (option_.has_credentials()) {
    // Name servers do not check credentials: a key the brokers refuse fails start() (AuthError).
    protocol::HeartbeatData heartbeat;
    heartbeat.consumer_data_set.push_back(consumer_data());
    instance_->check_broker_access(std::move(heartbeat));
  }
  instance_->register_consumer(shared_from_this());
  undo.armed = false;
  state_ = State::Running;
  // Route updates done before registration did not reach us: apply the cached routes now.
  for (const auto& topic : topics) {
    if (auto route = instance_->cached_route(topic)) on_topic_route(topic, *route);
  }
  auto weak = weak_from_this();
  expire_task_ = instance_->scheduler().schedule_every(kCheckConsumptionPeriod, kCheckConsumptionPeriod, [weak] {
    if (auto self = weak.lock(); self && self->state_.load() == State::Running) self->check_consumption();
  });
  if (orderly_clustering()) {
    lock_task_ = instance_->scheduler().schedule_every(kLockRenewPeriod, kLockRenewPeriod, [weak] {
      if (auto self = weak.lock(); self && self->state_.load() == State::Running) self->renew_locks();
    });
  }
  instance_->scheduler().post([weak] {
    auto self = weak.lock();
    if (!self || self->state_.load() != State::Running) return;
    self->instance_->send_heartbeat_to_all_brokers();
    // The heartbeat creates %RETRY%<group> on the brokers: fetch the routes still missing now
    // rather than at the next periodic refresh.
    for (const auto& topic : self->subscribed_topics()) {
      if (self->instance_->cached_route(topic)) continue;
      try {
        self->instance_->update_topic_route(topic);
      } catch (const std::exception& error) {
        LOG_DEBUG("route of " << topic << " still unavailable: " << error.what());
      }
    }
    self->do_rebalance();
  });
  LOG_INFO("push consumer " << option_.group_name() << " started as " << instance_->client_id());
}

void PushConsumer::Impl::abandon_start() {
  if (consume_service_) consume_service_->close();
  if (pool_) pool_->shutdown(std::chrono::milliseconds(0));
  if (instance_) instance_->shutdown_if_unused();
  locker_.reset();
  consume_service_.reset();
  pool_.reset();
  rebalance_.reset();
  offset_store_.reset();
  instance_.reset();
}

void PushConsumer::Impl::shutdown() {
  // A second caller waits for the first to finish, so that after any shutdown() returns the
  // consumer is really stopped.
  std::lock_guard<std::mutex> serial(shutdown_mutex_);
  State expected = State::Running;
  if (!state_.compare_exchange_strong(expected, State::ShuttingDown)) {
    if (expected == State::Created) state_ = State::Stopped;
    return;
  }
  LOG_INFO("push consumer " << option_.group_name() << " shutting down");
  // One deadline for the whole shutdown, so that neither a stuck listener nor a dead broker holds
  // the caller (or ~PushConsumer) longer than shutdown_timeout.
  const auto deadline = std::chrono::steady_clock::now() + option_.shutdown_timeout();
  instance_->scheduler().cancel(expire_task_);
  instance_->scheduler().cancel(lock_task_);
  // Pull loops see the state and stop; listener calls in flight finish and commit their offsets
  // (an orderly queue starts no further batch).
  consume_service_->stop_dispatching();
  if (!pool_->shutdown(option_.shutdown_timeout())) {
    LOG_WARN("listener calls still running after the shutdown timeout; their messages will be delivered again");
  }
  // Calls still running keep the service and the listener alive; their results are dropped.
  consume_service_->close();
  // Committing and unregistering talk to the brokers: on a thread of their own that co-owns this
  // consumer, waited for until the deadline. Past it they finish in the background.
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  auto tail = [self = shared_from_this(), done] {
    try {
      self->finish_shutdown();
    } catch (const std::exception& error) {
      LOG_WARN("push consumer " << self->option_.group_name() << ": shutdown: " << error.what());
    } catch (...) {
      LOG_WARN("push consumer " << self->option_.group_name() << ": shutdown: a non-standard exception");
    }
    done->set_value();
  };
  try {
    std::thread([tail] {
      common::set_current_thread_name("shutdown");
      tail();
    }).detach();
  } catch (const std::system_error&) {
    tail();  // out of threads: finish here, however long it takes
  }
  if (finished.wait_until(deadline) != std::future_status::ready) {
    LOG_WARN("push consumer " << option_.group_name() << ": committing offsets and unregistering take longer than "
                              << "the shutdown timeout; they go on in the background");
  }
}

void PushConsumer::Impl::finish_shutdown() {
  using std::chrono::steady_clock;
  const auto since = [](steady_clock::time_point from) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - from).count();
  };
  const auto started = steady_clock::now();
  auto owned = rebalance_->drop_all();
  std::set<MessageQueue> queues;
  for (const auto& [queue, process_queue] : owned) queues.insert(queue);
  if (orderly_clustering()) {
    // The next owner locks a queue as soon as it is free and starts from its committed offset:
    // every offset is on the broker (synchronously) before any lock is released.
    for (const auto& queue : queues) offset_store_->persist(queue);
    locker_->unlock(queues, false);
  } else {
    // Synchronously, queue by queue: a oneway commit could still sit unwritten when the
    // connection closes right after.
    for (const auto& queue : queues) offset_store_->persist(queue);
  }
  const auto committed = steady_clock::now();
  instance_->unregister_consumer(option_.group_name());
  const auto unregistered = steady_clock::now();
  state_ = State::Stopped;
  // instance_ stays set (other threads may still read it); its threads and sockets end here unless
  // another client shares it.
  instance_->shutdown_if_unused();
  LOG_INFO("push consumer " << option_.group_name() << " stopped: " << queues.size() << " queue(s) committed in "
                            << (committed - started) / std::chrono::milliseconds(1) << " ms, unregistered in "
                            << (unregistered - committed) / std::chrono::milliseconds(1) << " ms, instance released in "
                            << since(unregistered) << " ms");
}

std::string PushConsumer::Impl::client_id() const {
  client::ClientConfig config;
  config.instance_name = instance_name_;
  return config.client_id();
}

// ---- client::ConsumerInner ----------------------------------------------------------------------

protocol::ConsumerData PushConsumer::Impl::consumer_data() const {
  protocol::ConsumerData data;
  data.group_name = option_.group_name();
  data.consume_type = protocol::kConsumePassively;
  data.message_model =
      option_.message_model() == MessageModel::Broadcasting ? protocol::kBroadcasting : protocol::kClustering;
  data.consume_from_where = consume_from_where_name(option_.consume_from_where());
  for (auto& [topic, subscription] : rebalance_->subscriptions()) data.subscription_data_set.push_back(subscription);
  return data;
}

std::set<std::string> PushConsumer::Impl::subscribed_topics() const {
  std::set<std::string> topics;
  if (rebalance_) {
    for (const auto& [topic, subscription] : rebalance_->subscriptions()) topics.insert(topic);
  }
  return topics;
}

void PushConsumer::Impl::on_topic_route(const std::string& topic, const protocol::TopicRouteData& route) {
  rebalance_->set_topic_queues(topic, route.subscribe_queues(topic));
}

void PushConsumer::Impl::do_rebalance() {
  if (state_.load() != State::Running) return;
  rebalance_->do_rebalance();
  // Orderly: a queue whose lock was refused (its previous owner still finishing a call), or one
  // this consumer could not release yet, is retried shortly rather than a whole interval later.
  if (orderly_listener_ && (rebalance_->lock_refused() || !rebalance_->releasing().empty())) rebalance_again_soon();
}

void PushConsumer::Impl::rebalance_again_soon() {
  if (rebalance_retry_pending_.exchange(true)) return;
  auto weak = weak_from_this();
  instance_->scheduler().schedule(kRelockRebalanceDelay, [weak] {
    auto self = weak.lock();
    if (!self) return;
    self->rebalance_retry_pending_ = false;
    self->do_rebalance();
  });
}

void PushConsumer::Impl::renew_locks() {
  auto owned = rebalance_->process_queues();
  for (auto& [queue, process_queue] : rebalance_->releasing()) owned.emplace(queue, process_queue);
  locker_->lock_all(owned);
}

bool PushConsumer::Impl::lock_queue(const MessageQueue& queue, consumer::ProcessQueue& process_queue) {
  if (!locker_) return true;
  if (state_.load() != State::Running) return false;
  return locker_->lock(queue, process_queue);
}

void PushConsumer::Impl::persist_offsets() {
  if (state_.load() != State::Running) return;
  std::set<MessageQueue> queues;
  for (const auto& [queue, process_queue] : rebalance_->process_queues()) queues.insert(queue);
  offset_store_->persist_all(queues);
}

protocol::ConsumerRunningInfo PushConsumer::Impl::running_info() {
  protocol::ConsumerRunningInfo info;
  info.properties["PROP_NAMESERVER_ADDR"] = option_.name_server_addr();
  info.properties["PROP_CONSUME_TYPE"] = protocol::kConsumePassively;
  info.properties["PROP_CONSUMEORDERLY"] = orderly_listener_ ? "true" : "false";
  info.properties["PROP_THREADPOOL_CORE_SIZE"] = std::to_string(pool_ ? pool_->threads() : 0);
  info.properties["PROP_CONSUMER_START_TIMESTAMP"] = std::to_string(start_timestamp_);
  info.properties["PROP_CLIENT_VERSION"] = std::string("rocketmq-cpp ") + version_string();
  info.properties["consumerGroup"] = option_.group_name();
  info.properties["messageModel"] =
      option_.message_model() == MessageModel::Broadcasting ? protocol::kBroadcasting : protocol::kClustering;
  info.properties["consumeFromWhere"] = consume_from_where_name(option_.consume_from_where());
  info.properties["consumeThreadMin"] = std::to_string(option_.consume_thread_min());
  info.properties["consumeThreadMax"] = std::to_string(option_.consume_thread_max());
  info.properties["pullBatchSize"] = std::to_string(option_.pull_batch_size());
  info.properties["consumeMessageBatchMaxSize"] = std::to_string(option_.consume_batch_size());
  info.properties["pullThresholdForQueue"] = std::to_string(option_.process_queue_size());
  info.properties["maxReconsumeTimes"] = std::to_string(option_.max_reconsume_times());
  for (const auto& [topic, subscription] : rebalance_->subscriptions()) info.subscription_set.push_back(subscription);
  for (const auto& [queue, process_queue] : rebalance_->process_queues()) {
    protocol::ProcessQueueInfo queue_info;
    queue_info.commit_offset = offset_store_->read_offset(queue, consumer::ReadOffsetType::Memory);
    queue_info.cached_msg_min_offset = process_queue->min_cached_offset();
    queue_info.cached_msg_max_offset = process_queue->max_cached_offset();
    queue_info.cached_msg_count = static_cast<std::int32_t>(process_queue->cached_count());
    queue_info.cached_msg_size_in_mib = static_cast<std::int32_t>(process_queue->cached_bytes() / (1024 * 1024));
    queue_info.locked = process_queue->locked();
    queue_info.last_lock_timestamp = process_queue->last_lock_epoch_millis();
    queue_info.try_unlock_times = process_queue->try_unlock_times();
    queue_info.droped = process_queue->dropped();
    info.mq_table[queue] = queue_info;
  }
  const auto consumed = consume_service_->stats();
  for (const auto& topic : subscribed_topics()) {
    protocol::ConsumeStatus status;
    status.consume_rt = consumed.average_rt_ms;
    status.consume_failed_msgs = consumed.consumed_failed;
    info.status_table[topic] = status;
  }
  return info;
}

void PushConsumer::Impl::reset_offsets(const std::string& topic, const std::map<MessageQueue, std::int64_t>& offsets) {
  if (state_.load() != State::Running) return;  // a broker request racing with shutdown
  LOG_INFO("broker asked group " << option_.group_name() << " to reset " << offsets.size() << " offset(s) of " << topic);
  apply_offsets(topic, offsets);
}

std::map<MessageQueue, std::int64_t> PushConsumer::Impl::offsets_of(const std::string& topic) {
  return offset_store_ ? offset_store_->offsets(topic) : std::map<MessageQueue, std::int64_t>{};
}

protocol::ConsumeMessageDirectlyResult PushConsumer::Impl::consume_directly(protocol::StoredMessage message,
                                                                           const std::string& broker_name) {
  protocol::ConsumeMessageDirectlyResult result;
  if (state_.load() != State::Running) {
    result.consume_result = protocol::kConsumeResultLater;
    result.remark = "the consumer is shutting down";
    return result;
  }
  const auto started = std::chrono::steady_clock::now();
  auto data = std::make_shared<detail::MessageExtData>();
  data->topic = message.topic;
  data->broker_name = broker_name;
  data->stored = std::move(message);
  const auto outcome = consume_service_->consume_directly(detail::MessageExtAccess::make(std::move(data)));
  result.consume_result =
      outcome == ConsumeResult::Success ? protocol::kConsumeResultSuccess : protocol::kConsumeResultLater;
  result.spent_time_mills =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  return result;
}

// ---- consumer::RebalanceHost --------------------------------------------------------------------

std::vector<std::string> PushConsumer::Impl::find_consumer_ids(const std::string& topic) {
  auto route = instance_->cached_route(topic);
  if (!route || route->broker_datas.empty()) throw ClientError("no route for " + topic);
  // Any broker of the topic knows the group's consumers (they heart-beat to all).
  static thread_local std::mt19937 random{std::random_device{}()};
  const auto& brokers = route->broker_datas;
  const auto start = random() % brokers.size();
  std::exception_ptr last_error;
  for (std::size_t i = 0; i < brokers.size(); ++i) {
    const auto& broker = brokers[(start + i) % brokers.size()];
    auto address = broker.master_address();
    if (!address && !broker.broker_addrs.empty()) address = broker.broker_addrs.begin()->second;
    if (!address) continue;
    try {
      return instance_->api().get_consumer_id_list(*address, option_.group_name());
    } catch (const std::exception&) {
      last_error = std::current_exception();
    }
  }
  if (last_error) std::rethrow_exception(last_error);
  return {};
}

std::optional<std::string> PushConsumer::Impl::broker_address(const std::string& broker_name) const {
  return instance_->broker_address(broker_name);
}

std::int64_t PushConsumer::Impl::compute_pull_offset(const MessageQueue& queue) {
  const std::int64_t stored = offset_store_->read_offset(queue, consumer::ReadOffsetType::Store);
  if (stored >= 0) return stored;
  if (stored != consumer::RemoteBrokerOffsetStore::kOffsetNotFound) return -1;  // broker unreachable: later
  auto address = broker_address(queue.broker_name);
  if (!address) return -1;
  const bool retry = queue.topic.rfind("%RETRY%", 0) == 0;
  try {
    switch (option_.consume_from_where()) {
      case ConsumeFromWhere::ConsumeFromFirstOffset:
        return 0;
      case ConsumeFromWhere::ConsumeFromTimestamp:
        if (retry) return instance_->api().get_max_offset(*address, queue.topic, queue.queue_id);
        return instance_->api().search_offset(*address, queue.topic, queue.queue_id, option_.consume_timestamp());
      case ConsumeFromWhere::ConsumeFromLastOffset:
      default:
        if (retry) return 0;
        return instance_->api().get_max_offset(*address, queue.topic, queue.queue_id);
    }
  } catch (const std::exception& error) {
    LOG_WARN("cannot compute the start offset of " << queue.to_string() << ": " << error.what());
    return -1;
  }
}

void PushConsumer::Impl::start_pull(const MessageQueue& queue,
                                    const std::shared_ptr<consumer::ProcessQueue>& process_queue,
                                    std::int64_t offset) {
  offset_store_->update_offset(queue, offset, false);
  auto request = std::make_shared<PullRequest>();
  request->queue = queue;
  request->process_queue = process_queue;
  request->next_offset = offset;
  guarded_pull(request);
}

bool PushConsumer::Impl::on_queue_dropped(const MessageQueue& queue,
                                          const std::shared_ptr<consumer::ProcessQueue>& process_queue) {
  std::unique_lock<consumer::ConsumeLock> consuming(process_queue->consume_lock(), std::defer_lock);
  // Only the first attempt waits: the retries come every second, and the rebalancing thread should
  // not stall once per queue each time while calls run long.
  if (orderly_listener_ && !(process_queue->try_unlock_times() == 0 ? consuming.try_lock_for(kReleaseWait)
                                                                      : consuming.try_lock())) {
    // An orderly listener call is in flight: its commit comes first, the release later.
    process_queue->count_unlock_attempt();
    LOG_INFO("listener call on " << queue.to_string() << " still in flight; releasing it later");
    return false;
  }
  offset_store_->persist(queue);
  offset_store_->remove_offset(queue);
  // Still under the consume lock, and after the synchronous commit: the next owner starts where
  // this one stopped, and no call of this consumer can overlap its calls.
  if (orderly_clustering()) locker_->unlock({queue}, false);
  return true;
}

// ---- consumer::ConsumeHost ----------------------------------------------------------------------

bool PushConsumer::Impl::send_message_back(const MessageExt& message, int delay_level) {
  const auto& data = detail::MessageExtAccess::data(message);
  auto address = broker_address(data.broker_name);
  if (!address) address = data.stored.store_host.to_string();
  protocol::ConsumerSendMsgBackRequestHeader header;
  header.offset = data.stored.commit_log_offset;
  header.group = option_.group_name();
  header.delay_level = delay_level;
  header.origin_msg_id = data.stored.msg_id;
  header.origin_topic = data.topic;
  header.max_reconsume_times = option_.max_reconsume_times();
  header.broker_name = data.broker_name;
  try {
    instance_->api().consumer_send_message_back(*address, header);
    return true;
  } catch (const std::exception& error) {
    LOG_WARN("send-back of " << message.get_msg_id() << " to " << *address << " failed: " << error.what());
    return false;
  }
}

void PushConsumer::Impl::commit_offset(const MessageQueue& queue, std::int64_t offset) {
  offset_store_->update_offset(queue, offset, true);
}

void PushConsumer::Impl::run_later(std::chrono::milliseconds delay, std::function<void()> task) {
  auto weak = weak_from_this();
  instance_->scheduler().schedule(delay, [weak, task = std::move(task)] {
    if (auto self = weak.lock(); self && self->state_.load() == State::Running) task();
  });
}

// ---- pull loop ----------------------------------------------------------------------------------

void PushConsumer::Impl::pull_later(std::shared_ptr<PullRequest> request, std::chrono::milliseconds delay) {
  auto instance = instance_;
  if (!instance) return;
  auto weak = weak_from_this();
  instance->remoting_run_after(delay, [weak, request = std::move(request)]() mutable {
    if (auto self = weak.lock()) self->guarded_pull(request);
  });
}

void PushConsumer::Impl::guarded_pull(const std::shared_ptr<PullRequest>& request) {
  try {
    pull(request);
  } catch (const std::exception& error) {
    pull_loop_failed(request, "pull", error.what());
  } catch (...) {
    pull_loop_failed(request, "pull", "a non-standard exception");
  }
}

void PushConsumer::Impl::guarded_on_pulled(const std::shared_ptr<PullRequest>& request, client::PullResult&& result,
                                           std::exception_ptr error) {
  try {
    on_pulled(request, std::move(result), error);
  } catch (const std::exception& exception) {
    pull_loop_failed(request, "pull completion", exception.what());
  } catch (...) {
    pull_loop_failed(request, "pull completion", "a non-standard exception");
  }
}

void PushConsumer::Impl::pull_loop_failed(const std::shared_ptr<PullRequest>& request, const char* where,
                                          const std::string& what) {
  pull_loop_failures_.fetch_add(1, std::memory_order_relaxed);
  pull_errors_.fetch_add(1, std::memory_order_relaxed);
  if (state_.load() != State::Running || request->process_queue->dropped()) return;
  LOG_ERROR(where << " of " << request->queue.to_string() << " at offset " << request->next_offset
                  << " threw: " << what << "; pulling again in " << kPullRetryDelay.count() << " ms");
  try {
    pull_later(request, kPullRetryDelay);
  } catch (...) {
    // Out of memory even for a timer: the watchdog restarts this queue's loop later.
  }
}

void PushConsumer::Impl::check_consumption() {
  consume_service_->periodic_check();
  const auto now = consumer::ProcessQueue::Clock::now();
  bool restarted = false;
  for (const auto& [queue, process_queue] : rebalance_->process_queues()) {
    if (process_queue->dropped() || now - process_queue->last_pull() < kPullLoopSilenceLimit) continue;
    // Its loop ended without dropping the queue (a lost completion, a timer that never fired):
    // give the queue up and take it again, which starts a new loop from the committed offset.
    pull_loop_restarts_.fetch_add(1, std::memory_order_relaxed);
    LOG_WARN("pull loop of " << queue.to_string() << " silent for "
                             << std::chrono::duration_cast<std::chrono::seconds>(now - process_queue->last_pull()).count()
                             << " s; restarting it");
    rebalance_->drop_queue(queue);
    restarted = true;
  }
  if (restarted) do_rebalance();
}

void PushConsumer::Impl::pull(std::shared_ptr<PullRequest> request) {
  if (state_.load() != State::Running) return;
  auto& process_queue = *request->process_queue;
  if (process_queue.dropped()) return;  // the queue was given away: this loop ends here
  process_queue.touch_pull();
  if (suspended_) {
    pull_later(std::move(request), kSuspendedDelay);
    return;
  }
  // Orderly clustering pulls only while holding the broker lock; the consume side re-locks.
  if (orderly_clustering() && !process_queue.lock_valid(kLockMaxAge)) {
    pull_later(std::move(request), kLockWaitDelay);
    return;
  }
  if (process_queue.cached_count() >= option_.process_queue_size() ||
      process_queue.cached_bytes() >= option_.process_queue_bytes() || process_queue.span() > option_.max_span()) {
    flow_control_pauses_.fetch_add(1, std::memory_order_relaxed);
    pull_later(std::move(request), kFlowControlDelay);
    return;
  }
  protocol::SubscriptionData subscription;
  if (!rebalance_->subscription(request->queue.topic, subscription)) {
    pull_later(std::move(request), kPullRetryDelay);  // unsubscribed meanwhile: the rebalance drops it
    return;
  }
  std::int64_t suggested = 0;
  {
    std::lock_guard<std::mutex> lock(suggestion_mutex_);
    auto it = suggested_broker_id_.find(request->queue);
    if (it != suggested_broker_id_.end()) suggested = it->second;
  }
  auto address = instance_->broker_address(request->queue.broker_name, suggested);
  if (!address) {
    LOG_WARN("no address for broker " << request->queue.broker_name << "; pulling again in 3 s");
    pull_later(std::move(request), kPullRetryDelay);
    return;
  }
  protocol::PullMessageRequestHeader header;
  header.consumer_group = option_.group_name();
  header.topic = request->queue.topic;
  header.queue_id = request->queue.queue_id;
  header.queue_offset = request->next_offset;
  header.max_msg_nums = option_.pull_batch_size();
  header.sys_flag = kPullFlagSuspend | kPullFlagSubscription;
  if (option_.message_model() == MessageModel::Clustering) {
    const auto committed = offset_store_->read_offset(request->queue, consumer::ReadOffsetType::Memory);
    if (committed > 0) {
      header.sys_flag |= kPullFlagCommitOffset;
      header.commit_offset = committed;
    }
  }
  header.suspend_timeout_millis = kBrokerSuspendMillis;
  header.subscription = subscription.sub_string;
  header.sub_version = subscription.sub_version;
  header.expression_type = subscription.expression_type;
  header.broker_name = request->queue.broker_name;
  auto weak = weak_from_this();
  try {
    instance_->api().pull_message(*address, header, kPullTimeout,
                                  [weak, request](client::PullResult&& result, std::exception_ptr error) {
                                    if (auto self = weak.lock()) self->guarded_on_pulled(request, std::move(result), error);
                                  });
  } catch (const std::exception& error) {
    LOG_WARN("pull of " << request->queue.to_string() << " not sent: " << error.what());
    pull_later(std::move(request), kPullRetryDelay);
  }
}

std::vector<MessageExt> PushConsumer::Impl::to_messages(std::vector<protocol::StoredMessage>&& stored,
                                                        const MessageQueue& queue,
                                                        const protocol::SubscriptionData& subscription) {
  std::vector<MessageExt> messages;
  messages.reserve(stored.size());
  const bool retry = queue.topic == retry_topic();
  for (auto& record : stored) {
    if (!filter::matches(subscription, record)) continue;
    auto data = std::make_shared<detail::MessageExtData>();
    data->broker_name = queue.broker_name;
    data->topic = record.topic;
    if (retry) {
      auto original = record.properties.find(protocol::message_property::kRetryTopic);
      if (original != record.properties.end()) data->topic = original->second;
    }
    data->stored = std::move(record);
    messages.push_back(detail::MessageExtAccess::make(std::move(data)));
  }
  return messages;
}

void PushConsumer::Impl::on_pulled(const std::shared_ptr<PullRequest>& request, client::PullResult&& result,
                                   std::exception_ptr error) {
  if (state_.load() != State::Running) return;  // unconsumed: committed offsets do not cover them
  auto& process_queue = request->process_queue;
  if (process_queue->dropped()) return;
  if (error) {
    pull_errors_.fetch_add(1, std::memory_order_relaxed);
    if (filter::broker_refuses_sql92(error)) {
      // Property filtering is off there: filter on this client instead, with one warning.
      std::lock_guard<std::mutex> lock(mutex_);
      protocol::SubscriptionData current;
      if (rebalance_->subscription(request->queue.topic, current) &&
          current.expression_type == protocol::kExpressionTypeSql92) {
        rebalance_->set_subscription(request->queue.topic, filter::client_side_fallback(current));
        LOG_WARN("broker " << request->queue.broker_name << " does not filter by SQL92 (enablePropertyFilter="
                           << "false): " << request->queue.topic << " is now subscribed with \"*\" at the brokers"
                           << " and \"" << current.sub_string << "\" is evaluated by this client");
      }
      pull_later(request, std::chrono::milliseconds(0));
      return;
    }
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      LOG_WARN("pull of " << request->queue.to_string() << " at " << request->next_offset << " failed: " << e.what());
    }
    pull_later(request, kPullRetryDelay);
    return;
  }
  pulls_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(suggestion_mutex_);
    suggested_broker_id_[request->queue] = result.suggest_which_broker_id;
  }
  process_queue->set_broker_max_offset(result.max_offset);
  switch (result.status) {
    case client::PullStatus::Found: {
      protocol::SubscriptionData subscription;
      rebalance_->subscription(request->queue.topic, subscription);
      auto messages = to_messages(std::move(result.messages), request->queue, subscription);
      request->next_offset = result.next_begin_offset;
      if (!messages.empty()) process_queue->put(messages);
      // Filtered-out offsets after the last delivered message still count as consumed.
      if (process_queue->pulled_through(result.next_begin_offset)) {
        commit_offset(request->queue, result.next_begin_offset);
      }
      if (!messages.empty()) consume_service_->submit(messages, process_queue, request->queue);
      break;
    }
    case client::PullStatus::NoNewMessage:
    case client::PullStatus::NoMatchedMessage:
      request->next_offset = result.next_begin_offset;
      if (process_queue->pulled_through(result.next_begin_offset)) {
        commit_offset(request->queue, result.next_begin_offset);
      }
      break;
    case client::PullStatus::OffsetIllegal: {
      LOG_WARN("offset " << request->next_offset << " of " << request->queue.to_string()
                         << " is illegal; the broker suggests " << result.next_begin_offset);
      offset_store_->update_offset(request->queue, result.next_begin_offset, false);
      // Dropping may wait for a rebalance in progress: not on this I/O thread.
      auto weak = weak_from_this();
      instance_->scheduler().post([weak, queue = request->queue] {
        auto self = weak.lock();
        if (!self || self->state_.load() != State::Running) return;
        self->rebalance_->drop_queue(queue);  // commits the corrected offset
        self->do_rebalance();                 // and takes the queue again from there
      });
      return;
    }
  }
  if (option_.pull_interval().count() > 0) {
    pull_later(request, option_.pull_interval());
  } else {
    pull(request);  // under the caller's guard
  }
}

// ---- seek ----------------------------------------------------------------------------------------

void PushConsumer::Impl::apply_offsets(const std::string& topic, const std::map<MessageQueue, std::int64_t>& offsets) {
  for (const auto& [queue, offset] : offsets) {
    if (queue.topic != topic) continue;
    offset_store_->update_offset(queue, offset, false);
    offset_store_->persist(queue);
    if (rebalance_->process_queue(queue)) rebalance_->drop_queue(queue);
  }
  instance_->rebalance_soon();
}

void PushConsumer::Impl::seek_by_timestamp(const std::string& topic, std::int64_t epoch_millis) {
  require_running("seek_by_timestamp");
  std::map<MessageQueue, std::int64_t> offsets;
  for (const auto& queue : rebalance_->topic_queues(topic)) {
    auto address = broker_address(queue.broker_name);
    if (!address) throw ClientError("seek_by_timestamp: no address for broker " + queue.broker_name);
    offsets[queue] = instance_->api().search_offset(*address, topic, queue.queue_id, epoch_millis);
  }
  if (offsets.empty()) throw ClientError("seek_by_timestamp: " + topic + " is not subscribed or has no queues");
  apply_offsets(topic, offsets);
}

void PushConsumer::Impl::seek_to_offset(const std::string& topic, int queue_id, std::int64_t offset) {
  require_running("seek_to_offset");
  if (offset < 0) throw ClientError("seek_to_offset: negative offset " + std::to_string(offset));
  std::map<MessageQueue, std::int64_t> offsets;
  for (const auto& queue : rebalance_->topic_queues(topic)) {
    if (queue.queue_id == queue_id) offsets[queue] = offset;
  }
  if (offsets.empty()) {
    throw ClientError("seek_to_offset: " + topic + " has no queue " + std::to_string(queue_id) +
                      " (or is not subscribed)");
  }
  apply_offsets(topic, offsets);
}

ConsumerStats PushConsumer::Impl::stats() const {
  ConsumerStats stats;
  stats.pulls = pulls_.load();
  stats.pull_errors = pull_errors_.load();
  stats.flow_control_pauses = flow_control_pauses_.load();
  if (consume_service_) {
    const auto consumed = consume_service_->stats();
    stats.consumed_ok = consumed.consumed_ok;
    stats.consumed_failed = consumed.consumed_failed;
  }
  if (pool_) {
    stats.consume_threads = pool_->threads();
    stats.consume_threads_peak = pool_->peak_threads();
  }
  if (rebalance_ && state_.load() == State::Running) {
    for (const auto& [queue, process_queue] : rebalance_->process_queues()) {
      ++stats.owned_queues;
      stats.cached_messages += process_queue->cached_count();
      stats.cached_bytes += process_queue->cached_bytes();
      const auto committed = offset_store_->read_offset(queue, consumer::ReadOffsetType::Memory);
      const auto max_offset = process_queue->broker_max_offset();
      if (committed >= 0 && max_offset > committed) stats.lag += max_offset - committed;
    }
  }
  return stats;
}

// ---- the public facade -----------------------------------------------------------------------------

PushConsumer::PushConsumer(ConsumerOption option) : impl_(std::make_shared<Impl>(std::move(option))) {}
PushConsumer::~PushConsumer() {
  try {
    impl_->shutdown();
  } catch (const std::exception& error) {
    LOG_ERROR("push consumer shutdown in the destructor failed: " << error.what());
  } catch (...) {
    LOG_ERROR("push consumer shutdown in the destructor failed with a non-standard exception");
  }
}
void PushConsumer::subscribe(const std::string& topic, const std::string& expression) {
  impl_->subscribe(topic, expression, filter::detect_expression_type(expression));
}
void PushConsumer::subscribe_with_selector(const std::string& topic, const MessageSelector& selector) {
  impl_->subscribe(topic, selector.expression(), selector.type());
}
void PushConsumer::unsubscribe(const std::string& topic) { impl_->unsubscribe(topic); }
void PushConsumer::register_message_listener(std::unique_ptr<MessageListenerConcurrently> listener) {
  impl_->set_listener(std::move(listener));
}
void PushConsumer::register_message_listener(std::unique_ptr<MessageListenerOrderly> listener) {
  impl_->set_listener(std::move(listener));
}
void PushConsumer::start() { impl_->start(); }
void PushConsumer::shutdown() { impl_->shutdown(); }
void PushConsumer::suspend() { impl_->suspend(); }
void PushConsumer::resume() { impl_->resume(); }
bool PushConsumer::is_suspended() const { return impl_->suspended(); }
void PushConsumer::seek_by_timestamp(const std::string& topic, std::int64_t epoch_millis) {
  impl_->seek_by_timestamp(topic, epoch_millis);
}
void PushConsumer::seek_to_offset(const std::string& topic, int queue_id, std::int64_t offset) {
  impl_->seek_to_offset(topic, queue_id, offset);
}
ConsumerStats PushConsumer::stats() const { return impl_->stats(); }
std::string PushConsumer::client_id() const { return impl_->client_id(); }

}  // namespace rocketmq
