#include "consumer/push_consumer_impl.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <system_error>
#include <thread>
#include <utility>

#include "client/transport_failure.h"
#include "common/host_info.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "common/validators.h"
#include "consumer/consume_message_concurrently_service.h"
#include "consumer/consume_message_orderly_service.h"
#include "consumer/local_file_offset_store.h"
#include "consumer/message_ext_data.h"
#include "consumer/pull_api_wrapper.h"
#include "consumer/remote_broker_offset_store.h"
#include "consumer/start_position.h"
#include "filter/subscription.h"
#include "protocol/message_const.h"
#include "protocol/message_properties.h"
#include "protocol/response_code.h"
#include "rocketmq/error.h"
#include "rocketmq/version.h"

namespace rocketmq {

namespace {

constexpr std::chrono::milliseconds kPullTimeout{30000};
constexpr std::int64_t kBrokerSuspendMillis = 15000;
// A pull sent to a slave is held there this long at most (see PullAPIWrapper::build_request).
constexpr std::int64_t kReplicaSuspendMillis = 3000;
constexpr std::chrono::milliseconds kPullRetryDelay{3000};
// A group reset a 4.x broker refused for want of a committed offset is asked again this often.
constexpr std::chrono::milliseconds kResetRetryDelay{1000};
// Silent connections. A broker holds a pull up to kBrokerSuspendMillis when nothing is new, and
// sends nothing meanwhile; a black-holed or half-open connection is silent too, and its pulls
// would wait out kPullTimeout before failing. So every kSilentProbePeriod each broker that has held
// a pull for kSilentProbeAfter, on a connection that has received nothing for as long, is asked for
// a max offset with kSilentProbeTimeout. A live broker answers at once. A dead path does not, and a request that times out on a
// connection silent throughout closes it (the remoting client's rule): its pulls fail now and are
// sent again after kPullRetryAfterProbe on a new connection. A broker back from a black hole is
// used again within about kSilentProbeAfter + kSilentProbePeriod + kSilentProbeTimeout (2.6 s).
// The costs: an idle consumer asks each broker about once every 1-1.5 s (its idle long polls, one
// per queue every 15 s, are of the same order); and a live broker that stalls for over a second
// while it holds an idle consumer's pulls has that connection closed (its pulls, commits and
// heartbeats in flight fail and are retried; the broker forgets the client's registration on it
// until the next heartbeat), as it would by any request's timeout on a silent connection.
constexpr std::chrono::milliseconds kSilentProbePeriod{500};
constexpr std::chrono::milliseconds kSilentProbeAfter{1000};
constexpr std::chrono::milliseconds kSilentProbeTimeout{1000};
constexpr std::chrono::milliseconds kPullRetryAfterProbe{100};
constexpr std::chrono::milliseconds kFlowControlDelay{50};
// A RESET_CONSUMER_CLIENT_OFFSET repeating this client's own seek within this window is skipped.
constexpr std::chrono::seconds kSeekEchoWindow{60};

// The text of a background failure for its report.
std::string describe(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& thrown) {
    return thrown.what();
  } catch (...) {
    return "a non-standard exception";
  }
}

// How far a queue is behind: the broker's max offset less the committed one, never negative, and
// 0 while either is unknown (-1). lag() and stats() both report it.
std::int64_t queue_lag(std::int64_t broker_max_offset, std::int64_t committed_offset) {
  return committed_offset >= 0 && broker_max_offset > committed_offset ? broker_max_offset - committed_offset : 0;
}
// After an illegal-offset pull answer, the wait before the corrected offset is committed.
constexpr std::chrono::milliseconds kIllegalOffsetDelay{3000};
// A queue whose last pull answer is older than this gets its max offset from GET_MAX_OFFSET.
constexpr std::chrono::seconds kMaxOffsetRefreshAge{5};
// A pull loop that has not stepped for this long is restarted (Java drops such process queues).
// Every step of a live loop touches its queue: at least every pull timeout plus a retry delay.
constexpr std::chrono::seconds kPullLoopSilenceLimit{120};
constexpr std::chrono::seconds kCheckConsumptionPeriod{10};
// How often work stuck behind a hung listener call is looked for (a scan of the pull results in
// flight that finds nothing to do almost always).
constexpr std::chrono::milliseconds kRescueStalledPeriod{100};
// Orderly clustering: locks are renewed every 20 s and count as lost 30 s after the last renewal
// (a broker keeps them 60 s); a queue given away waits this long for its listener call in flight
// per attempt before the rebalance moves on (and tries again next time).
constexpr std::chrono::seconds kLockRenewPeriod{20};
constexpr std::chrono::seconds kLockMaxAge{30};
constexpr std::chrono::milliseconds kLockWaitDelay{1000};
constexpr std::chrono::milliseconds kReleaseWait{1000};
constexpr std::chrono::milliseconds kRelockRebalanceDelay{1000};
// A 4.x broker registers the retry topic it creates for a new group's heartbeat with the name
// server by a oneway request, so the route fetched right after the first heartbeat may still lack
// the brokers whose registration came later; it is asked for again this often, this many times,
// while it lists fewer brokers than the subscribed topics do (rather than at the 30 s refresh).
constexpr std::chrono::milliseconds kRetryRouteDelay{1000};
constexpr int kRetryRouteAttempts = 10;

std::int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

consumer::PushConsumerImpl::PushConsumerImpl(ConsumerOption option)
    : option_(std::move(option)),
      instance_name_(client::ClientConfig::resolve_instance_name(
          option_.instance_name(), option_.message_model() == MessageModel::Clustering)) {}

// May run on any thread that held the last reference: a consume thread whose listener call outlived
// the shutdown, an I/O thread finishing a pull, the scheduler. Nothing here waits for long or joins
// its own thread: the pool detaches the calling worker, the instance tears down elsewhere.
consumer::PushConsumerImpl::~PushConsumerImpl() {
  if (consume_service_) consume_service_->close();
  if (pool_) pool_->shutdown(std::chrono::milliseconds(0));
}

void consumer::PushConsumerImpl::require_running(const char* what) const {
  if (state_.load() != State::Running) throw ClientError(std::string(what) + " needs a started consumer");
}

void consumer::PushConsumerImpl::subscribe(const std::string& topic, const std::string& expression, ExpressionType type) {
  common::validate_topic_name(topic);
  auto subscription = filter::build_subscription(topic, expression, type);
  std::lock_guard<std::mutex> lock(mutex_);
  const State state = state_.load();
  if (state == State::ShuttingDown || state == State::Stopped) throw ClientError("subscribe after shutdown");
  pending_subscriptions_[topic] = subscription;
  denied_subscriptions_.erase(topic);  // asked for again: the next heartbeats say whether it may
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

void consumer::PushConsumerImpl::unsubscribe(const std::string& topic) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_subscriptions_.erase(topic);
  denied_subscriptions_.erase(topic);
  if (state_.load() == State::Running) {
    rebalance_->remove_subscription(topic);
    instance_->rebalance_soon();
  }
}

void consumer::PushConsumerImpl::set_listener(std::unique_ptr<MessageListenerConcurrently> listener) {
  if (!listener) throw ClientError("register_message_listener: the listener is null");
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_.load() != State::Created) throw ClientError("register_message_listener must be called before start()");
  concurrent_listener_ = std::shared_ptr<MessageListenerConcurrently>(std::move(listener));
  orderly_listener_.reset();
}

void consumer::PushConsumerImpl::set_listener(std::unique_ptr<MessageListenerOrderly> listener) {
  if (!listener) throw ClientError("register_message_listener: the listener is null");
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_.load() != State::Created) throw ClientError("register_message_listener must be called before start()");
  orderly_listener_ = std::shared_ptr<MessageListenerOrderly>(std::move(listener));
  concurrent_listener_.reset();
}

void consumer::PushConsumerImpl::start() {
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

  instance_ = client::MQClientInstance::acquire(consumer::consumer_client_config(option_, instance_name_));
  // Whatever fails from here to the registration, nothing but this thread has seen these parts:
  // they are undone so that start() may be retried and the instance is not left acquired.
  struct AbandonOnThrow {
    PushConsumerImpl* self;
    bool armed = true;
    ~AbandonOnThrow() {
      if (armed) self->abandon_start();
    }
  } undo{this};
  const bool broadcasting = option_.message_model() == MessageModel::Broadcasting;
  offset_store_ = consumer::make_offset_store(instance_, option_);
  offset_store_->load();
  consumer::PullAPIWrapper::Settings pull_settings;
  pull_settings.group = option_.group_name();
  pull_settings.pull_batch_size = option_.pull_batch_size();
  pull_settings.clustering = !broadcasting;
  pull_settings.timeout = kPullTimeout;
  pull_settings.broker_suspend_millis = kBrokerSuspendMillis;
  pull_settings.replica_suspend_millis = kReplicaSuspendMillis;
  pull_api_ = std::make_unique<consumer::PullAPIWrapper>(*instance_, pull_settings);
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
    orderly.consume_timeout = option_.consume_timeout();
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
  consume_service_->set_gate(gate_);
  consume_service_->set_topic_stats(topic_stats_);
  start_timestamp_ = now_millis();

  // Routes first: an unreachable name server is a setup error the caller must see.
  const auto topics = subscribed_topics();
  lock.unlock();
  consumer::fetch_start_routes(*instance_, option_, topics, retry_topic());
  if (option_.has_credentials()) check_access_dropping_denied_topics();
  instance_->register_consumer(shared_from_this());
  undo.armed = false;
  state_ = State::Running;
  // Route updates done before registration did not reach us: apply the cached routes now (of the
  // subscriptions left: the access check may have dropped one).
  for (const auto& topic : subscribed_topics()) {
    if (auto route = instance_->cached_route(topic)) on_topic_route(topic, *route);
  }
  auto weak = weak_from_this();
  expire_task_ = instance_->scheduler().schedule_every(kCheckConsumptionPeriod, kCheckConsumptionPeriod, [weak] {
    if (auto self = weak.lock(); self && self->state_.load() == State::Running) self->check_consumption();
  });
  rescue_task_ = instance_->scheduler().schedule_every(kRescueStalledPeriod, kRescueStalledPeriod, [weak] {
    if (auto self = weak.lock(); self && self->state_.load() == State::Running) {
      self->consume_service_->rescue_stalled_work();
    }
  });
  schedule_silent_probe();
  if (option_.has_credentials()) {
    denied_task_ =
        instance_->scheduler().schedule_every(option_.heartbeat_interval(), option_.heartbeat_interval(), [weak] {
          if (auto self = weak.lock(); self && self->state_.load() == State::Running) {
            self->recheck_denied_subscriptions();
          }
        });
  }
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
    self->complete_retry_route(kRetryRouteAttempts);
  });
  LOG_INFO("push consumer " << option_.group_name() << " started as " << instance_->client_id());
}

void consumer::PushConsumerImpl::complete_retry_route(int attempts_left) {
  if (state_.load() != State::Running || option_.message_model() != MessageModel::Clustering) return;
  std::set<std::string> wanted;
  for (const auto& topic : subscribed_topics()) {
    if (topic == retry_topic()) continue;
    if (auto route = instance_->cached_route(topic)) {
      for (const auto& broker : route->broker_datas) wanted.insert(broker.broker_name);
    }
  }
  std::set<std::string> listed;
  if (auto route = instance_->cached_route(retry_topic())) {
    for (const auto& broker : route->broker_datas) listed.insert(broker.broker_name);
  }
  if (std::includes(listed.begin(), listed.end(), wanted.begin(), wanted.end()) || attempts_left <= 0) return;
  LOG_DEBUG("route of " << retry_topic() << " lists " << listed.size() << " of " << wanted.size()
                        << " brokers; asking again in " << kRetryRouteDelay.count() << " ms");
  auto weak = weak_from_this();
  instance_->scheduler().schedule(kRetryRouteDelay, [weak, attempts_left] {
    auto self = weak.lock();
    if (!self || self->state_.load() != State::Running) return;
    try {
      self->instance_->update_topic_route(self->retry_topic());
      self->instance_->rebalance_soon();
    } catch (const std::exception& error) {
      LOG_DEBUG("route of " << self->retry_topic() << " still unavailable: " << error.what());
    }
    self->complete_retry_route(attempts_left - 1);
  });
}

void consumer::PushConsumerImpl::abandon_start() {
  if (consume_service_) consume_service_->close();
  if (pool_) pool_->shutdown(std::chrono::milliseconds(0));
  if (instance_) instance_->shutdown_if_unused();
  locker_.reset();
  consume_service_.reset();
  pool_.reset();
  rebalance_.reset();
  offset_store_.reset();
  pull_api_.reset();
  instance_.reset();
}

void consumer::PushConsumerImpl::shutdown() {
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
  instance_->scheduler().cancel(rescue_task_);
  instance_->scheduler().cancel(lock_task_);
  instance_->scheduler().cancel(denied_task_);
  // Pull loops see the state and stop; listener calls in flight finish and commit their offsets
  // (an orderly queue starts no further batch).
  consume_service_->stop_dispatching();
  if (!pool_->shutdown(option_.shutdown_timeout())) {
    LOG_WARN("listener calls still running after the shutdown timeout; their messages will be delivered again");
  }
  // Calls still running keep the service and the listener alive; their results are dropped.
  consume_service_->close();
  gate_->close();  // parked batches and pulls are released: their messages come again after a restart
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

void consumer::PushConsumerImpl::finish_shutdown() {
  using std::chrono::steady_clock;
  const auto since = [](steady_clock::time_point from) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - from).count();
  };
  const auto started = steady_clock::now();
  auto owned = rebalance_->drop_all();
  std::set<MessageQueue> queues;
  for (const auto& [queue, process_queue] : owned) queues.insert(queue);
  // Synchronously (a oneway commit could still sit unwritten when the connection closes right
  // after), all brokers at once. Orderly: the next owner locks a queue as soon as it is free and
  // starts from its committed offset, so every offset is on the broker before any lock is released.
  persist_in_parallel(queues);
  if (orderly_clustering()) locker_->unlock(queues, false);
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

void consumer::PushConsumerImpl::persist_in_parallel(const std::set<MessageQueue>& queues) {
  std::map<std::string, std::vector<MessageQueue>> by_broker;
  for (const auto& queue : queues) by_broker[queue.broker_name].push_back(queue);
  // Queue by queue within a broker; the first failure gives that broker up (a dead one costs one
  // request timeout, not one per queue). Runs on the shutdown thread, which co-owns this consumer.
  const auto commit_broker = [this](const std::vector<MessageQueue>& owned) {
    for (std::size_t i = 0; i < owned.size(); ++i) {
      if (!offset_store_->persist(owned[i])) {
        on_background_error(BackgroundError{"commit_offset",
                                            "broker " + owned[i].broker_name + " did not take the offset of " +
                                                owned[i].to_string(),
                                            nullptr});
        LOG_WARN("broker " << owned[i].broker_name << " did not take the offset of " << owned[i].to_string() << "; "
                           << owned.size() - i - 1 << " more of its queues are not committed now (the next owner "
                           << "starts from their last committed offsets: their messages may come again)");
        return;
      }
    }
  };
  std::vector<std::thread> workers;
  std::size_t index = 0;
  for (const auto& [broker, owned] : by_broker) {
    if (++index == by_broker.size()) break;  // the last broker on this thread
    try {
      workers.emplace_back([&commit_broker, &owned = owned] { commit_broker(owned); });
    } catch (const std::system_error&) {
      commit_broker(owned);  // out of threads: here
    }
  }
  if (!by_broker.empty()) commit_broker(by_broker.rbegin()->second);
  for (auto& worker : workers) worker.join();
}

std::string consumer::PushConsumerImpl::client_id() const {
  client::ClientConfig config;
  config.instance_name = instance_name_;
  return config.client_id();
}

// ---- client::ConsumerInner ----------------------------------------------------------------------

protocol::ConsumerData consumer::PushConsumerImpl::consumer_data() const {
  protocol::ConsumerData data;
  data.group_name = option_.group_name();
  data.consume_type = protocol::kConsumePassively;
  data.message_model =
      option_.message_model() == MessageModel::Broadcasting ? protocol::kBroadcasting : protocol::kClustering;
  data.consume_from_where = consumer::consume_from_where_name(option_.consume_from_where());
  for (auto& [topic, subscription] : rebalance_->subscriptions()) data.subscription_data_set.push_back(subscription);
  return data;
}

std::set<std::string> consumer::PushConsumerImpl::subscribed_topics() const {
  std::set<std::string> topics;
  if (rebalance_) {
    for (const auto& [topic, subscription] : rebalance_->subscriptions()) topics.insert(topic);
  }
  return topics;
}

void consumer::PushConsumerImpl::on_topic_route(const std::string& topic, const protocol::TopicRouteData& route) {
  rebalance_->set_topic_queues(topic, route.subscribe_queues(topic));
}

void consumer::PushConsumerImpl::do_rebalance() {
  if (state_.load() != State::Running) return;
  rebalance_->do_rebalance();
  // Orderly: a queue whose lock was refused (its previous owner still finishing a call), or one
  // this consumer could not release yet, is retried shortly rather than a whole interval later.
  if (orderly_listener_ && (rebalance_->lock_refused() || !rebalance_->releasing().empty())) rebalance_again_soon();
}

void consumer::PushConsumerImpl::rebalance_again_soon() {
  if (rebalance_retry_pending_.exchange(true)) return;
  auto weak = weak_from_this();
  instance_->scheduler().schedule(kRelockRebalanceDelay, [weak] {
    auto self = weak.lock();
    if (!self) return;
    self->rebalance_retry_pending_ = false;
    self->do_rebalance();
  });
}

void consumer::PushConsumerImpl::renew_locks() {
  auto owned = rebalance_->process_queues();
  for (auto& [queue, process_queue] : rebalance_->releasing()) owned.emplace(queue, process_queue);
  locker_->lock_all(owned);
}

bool consumer::PushConsumerImpl::lock_queue(const MessageQueue& queue, consumer::ProcessQueue& process_queue) {
  if (!locker_) return true;
  if (state_.load() != State::Running) return false;
  return locker_->lock(queue, process_queue);
}

void consumer::PushConsumerImpl::persist_offsets() {
  if (state_.load() != State::Running) return;
  std::set<MessageQueue> queues;
  for (const auto& [queue, process_queue] : rebalance_->process_queues()) queues.insert(queue);
  offset_store_->persist_all(queues);
}

protocol::ConsumerRunningInfo consumer::PushConsumerImpl::running_info() {
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
  info.properties["consumeFromWhere"] = consumer::consume_from_where_name(option_.consume_from_where());
  info.properties["consumeThreadMin"] = std::to_string(option_.consume_thread_min());
  info.properties["consumeThreadMax"] = std::to_string(option_.consume_thread_max());
  info.properties["pullBatchSize"] = std::to_string(option_.pull_batch_size());
  info.properties["consumeMessageBatchMaxSize"] = std::to_string(option_.consume_batch_size());
  info.properties["pullThresholdForQueue"] = std::to_string(option_.process_queue_size());
  info.properties["maxReconsumeTimes"] = std::to_string(option_.max_reconsume_times());
  for (const auto& [topic, subscription] : rebalance_->subscriptions()) info.subscription_set.push_back(subscription);
  for (const auto& [queue, process_queue] : rebalance_->process_queues()) {
    protocol::ProcessQueueInfo queue_info;
    queue_info.commit_offset = offset_store_->read_offset(queue, consumer::ReadOffsetType::Memory).value_or_minus_one();
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
  const auto rates = topic_stats_->rates();
  for (const auto& topic : subscribed_topics()) {
    protocol::ConsumeStatus status;
    auto it = rates.find(topic);
    if (it != rates.end()) {
      status.pull_rt = it->second.pull_rt_ms;
      status.pull_tps = it->second.pull_tps;
      status.consume_rt = it->second.consume_rt_ms;
      status.consume_ok_tps = it->second.consume_ok_tps;
      status.consume_failed_tps = it->second.consume_failed_tps;
      status.consume_failed_msgs = it->second.consume_failed_total;
    }
    info.status_table[topic] = status;
  }
  return info;
}

void consumer::PushConsumerImpl::reset_offsets(const std::string& topic, const std::map<MessageQueue, std::int64_t>& offsets) {
  if (state_.load() != State::Running) return;  // a broker request racing with shutdown
  // The echo of a seek this client made and applied itself: applying it again would rewind what
  // was consumed since.
  std::map<MessageQueue, std::int64_t> wanted;
  {
    std::lock_guard<std::mutex> lock(seek_mutex_);
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [queue, offset] : offsets) {
      auto it = recent_seeks_.find(queue);
      if (it != recent_seeks_.end() && it->second.first == offset && now - it->second.second < kSeekEchoWindow) {
        recent_seeks_.erase(it);
        continue;
      }
      wanted.emplace(queue, offset);
    }
  }
  LOG_INFO("broker asked group " << option_.group_name() << " to reset " << offsets.size() << " offset(s) of " << topic
                                 << " (" << offsets.size() - wanted.size() << " already applied by this client's seek)");
  if (!wanted.empty()) apply_offsets(topic, wanted);
}

std::map<MessageQueue, std::int64_t> consumer::PushConsumerImpl::offsets_of(const std::string& topic) {
  return offset_store_ ? offset_store_->offsets(topic) : std::map<MessageQueue, std::int64_t>{};
}

protocol::ConsumeMessageDirectlyResult consumer::PushConsumerImpl::consume_directly(protocol::StoredMessage message,
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

std::vector<std::string> consumer::PushConsumerImpl::find_consumer_ids(const std::string& topic) {
  return consumer::find_group_consumer_ids(*instance_, option_.group_name(), topic);
}

std::optional<std::string> consumer::PushConsumerImpl::broker_address(const std::string& broker_name) const {
  return instance_->broker_address(broker_name);
}

void consumer::PushConsumerImpl::check_access_dropping_denied_topics() {
  // Name servers do not check credentials: a key the brokers refuse fails start() (AuthError). The
  // brokers authorise a heartbeat as a whole, so one subscription the user may not read would
  // refuse all of them: such a topic is dropped (and reported) and the others go on.
  for (;;) {
    protocol::HeartbeatData heartbeat;
    heartbeat.consumer_data_set.push_back(consumer_data());
    try {
      instance_->check_broker_access(std::move(heartbeat));
      return;
    } catch (const AuthError& error) {
      std::optional<std::string> denied;
      std::size_t own_topics = 0;
      for (const auto& topic : subscribed_topics()) {
        if (topic == retry_topic()) continue;
        ++own_topics;
        const auto named = error.remark().find("Topic:" + topic);
        const auto end = named + 6 + topic.size();
        if (named != std::string::npos &&
            (end == error.remark().size() || std::string(" ,.;)]").find(error.remark()[end]) != std::string::npos)) {
          denied = topic;
        }
      }
      // Wrong keys, a denied group, or no subscription left to consume: start() fails.
      if (!denied || own_topics <= 1) throw;
      LOG_ERROR("group " << option_.group_name() << " may not subscribe to " << *denied << " (" << error.what()
                         << "); consuming its other subscriptions without it, asking again every "
                         << option_.heartbeat_interval().count() << " ms");
      {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = pending_subscriptions_.find(*denied);
        if (it != pending_subscriptions_.end()) {
          denied_subscriptions_[*denied] = it->second;
          pending_subscriptions_.erase(it);
        }
      }
      rebalance_->remove_subscription(*denied);
      on_background_error(BackgroundError{"subscribe", "subscription to " + *denied + " refused: " + error.what(),
                                          std::current_exception()});
    }
  }
}

void consumer::PushConsumerImpl::recheck_denied_subscriptions() {
  std::map<std::string, protocol::SubscriptionData> denied;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    denied = denied_subscriptions_;
  }
  for (const auto& [topic, subscription] : denied) {
    protocol::HeartbeatData heartbeat;
    auto data = consumer_data();
    data.subscription_data_set.push_back(subscription);
    heartbeat.consumer_data_set.push_back(std::move(data));
    try {
      // A broker that could not be asked may be the one that refuses: ask again next time.
      if (!instance_->check_broker_access(std::move(heartbeat))) continue;
    } catch (const AuthError& error) {
      LOG_DEBUG("group " << option_.group_name() << " still may not subscribe to " << topic << ": " << error.what());
      continue;
    } catch (const std::exception& error) {
      LOG_DEBUG("access check of " << topic << " failed: " << error.what());
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = denied_subscriptions_.find(topic);
      // Unsubscribed meanwhile, or the consumer is shutting down: nothing to restore.
      if (it == denied_subscriptions_.end() || state_.load() != State::Running) continue;
      pending_subscriptions_[topic] = it->second;
      rebalance_->set_subscription(topic, it->second);
      denied_subscriptions_.erase(it);
    }
    LOG_WARN("group " << option_.group_name() << " may subscribe to " << topic << " now; consuming it");
    try {
      instance_->update_topic_route(topic);
    } catch (const std::exception& error) {
      LOG_WARN("route of " << topic << " unavailable: " << error.what());
    }
    instance_->send_heartbeat_to_all_brokers();
    instance_->rebalance_soon();
  }
}

std::int64_t consumer::PushConsumerImpl::compute_pull_offset(const MessageQueue& queue) {
  return consumer::compute_start_offset(*instance_, *offset_store_, option_, queue,
                                        [this](const BackgroundError& error) { on_background_error(error); });
}

void consumer::PushConsumerImpl::start_pull(const MessageQueue& queue,
                                    const std::shared_ptr<consumer::ProcessQueue>& process_queue,
                                    std::int64_t offset) {
  offset_store_->update_offset(queue, offset, false);
  auto request = std::make_shared<PullRequest>();
  request->queue = queue;
  request->process_queue = process_queue;
  request->next_offset = offset;
  guarded_pull(request);
}

bool consumer::PushConsumerImpl::on_queue_dropped(const MessageQueue& queue,
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
  pull_api_->forget(queue);
  // Still under the consume lock, and after the synchronous commit: the next owner starts where
  // this one stopped, and no call of this consumer can overlap its calls.
  if (orderly_clustering()) locker_->unlock({queue}, false);
  return true;
}

// ---- consumer::ConsumeHost ----------------------------------------------------------------------

bool consumer::PushConsumerImpl::send_message_back(const MessageExt& message, int delay_level) {
  const auto& data = detail::MessageExtAccess::data(message);
  // Only a master takes a send-back (a slave refuses it): with the master gone, the fallback below
  // sends the message to a live broker's retry queue instead.
  auto address = instance_->master_address(data.broker_name);
  if (!address) address = data.stored.store_host.to_string();
  protocol::ConsumerSendMsgBackRequestHeader header;
  header.offset = data.stored.commit_log_offset;
  header.group = option_.group_name();
  header.delay_level = delay_level;
  header.origin_msg_id = data.header().msg_id;
  header.origin_topic = message.get_topic();
  header.max_reconsume_times = option_.max_reconsume_times();
  header.broker_name = data.broker_name;
  try {
    instance_->api().consumer_send_message_back(*address, header);
    return true;
  } catch (const std::exception& error) {
    LOG_WARN("send-back of " << message.get_msg_id() << " to " << *address << " failed: " << error.what()
                             << (delay_level >= 0 ? "; sending it to " + retry_topic() + " instead" : std::string()));
  }
  // The dead-letter level (orderly) has no such fallback: the queue stays on the message.
  return delay_level >= 0 && send_to_retry_topic(message, delay_level);
}

bool consumer::PushConsumerImpl::send_to_retry_topic(const MessageExt& message, int delay_level) {
  // What the Java client does when the broker refuses CONSUMER_SEND_MSG_BACK: a normal send of a
  // copy to %RETRY%<group>, with the original topic, the next reconsume count and the delay level,
  // to any writable queue of any live broker.
  const auto& stored = detail::MessageExtAccess::data(message).record();
  try {
    auto route = instance_->cached_route(retry_topic());
    if (!route) route = instance_->update_topic_route(retry_topic());
    std::vector<MessageQueue> writable;
    for (const auto& queue_data : route->queue_datas) {
      if ((queue_data.perm & protocol::kPermWrite) == 0) continue;
      for (int id = 0; id < queue_data.write_queue_nums; ++id) {
        writable.push_back(MessageQueue{retry_topic(), queue_data.broker_name, id});
      }
    }
    if (writable.empty()) throw ClientError(retry_topic() + " has no writable queue");
    const std::int32_t reconsume_times = stored.reconsume_times + 1;
    protocol::MessageProperties properties = stored.properties;
    properties[protocol::message_property::kRetryTopic] = message.get_topic();
    if (properties.count(protocol::message_property::kOriginMessageId) == 0) {
      properties[protocol::message_property::kOriginMessageId] = stored.msg_id;
    }
    properties[protocol::message_property::kReconsumeTime] = std::to_string(reconsume_times);
    properties[protocol::message_property::kMaxReconsumeTimes] = std::to_string(option_.max_reconsume_times());
    properties[protocol::message_property::kDelayTimeLevel] =
        std::to_string(delay_level > 0 ? delay_level : 3 + stored.reconsume_times);
    properties.erase(protocol::message_property::kTransactionPrepared);
    const std::string encoded = protocol::encode_properties(properties);
    const auto first = static_cast<std::size_t>(fallback_sends_.fetch_add(1, std::memory_order_relaxed));
    std::exception_ptr last_error;
    for (std::size_t attempt = 0; attempt < std::min<std::size_t>(writable.size(), 3); ++attempt) {
      const auto& queue = writable[(first + attempt) % writable.size()];
      auto address = instance_->master_address(queue.broker_name);
      if (!address) continue;
      protocol::SendMessageRequestHeaderV2 header;
      header.producer_group = "CLIENT_INNER_PRODUCER";
      header.topic = retry_topic();
      header.queue_id = queue.queue_id;
      header.sys_flag = 0;  // the body is plain here, whatever it was stored as
      header.born_timestamp = now_millis();
      header.flag = stored.flag;
      header.properties = encoded;
      header.reconsume_times = reconsume_times;
      header.max_reconsume_times = option_.max_reconsume_times();
      header.broker_name = queue.broker_name;
      try {
        instance_->api().send_message(*address, header, false, stored.body, option_.request_timeout());
        LOG_INFO("message " << message.get_msg_id() << " sent to " << queue.to_string() << " for its retry");
        return true;
      } catch (const std::exception&) {
        last_error = std::current_exception();
      }
    }
    if (last_error) std::rethrow_exception(last_error);
    return false;
  } catch (const std::exception& error) {
    LOG_WARN("retry send of " << message.get_msg_id() << " to " << retry_topic() << " failed too: " << error.what()
                              << "; it is consumed again here");
    return false;
  }
}

void consumer::PushConsumerImpl::commit_offset(const MessageQueue& queue, const consumer::ProcessQueue& process_queue,
                                       std::int64_t offset) {
  std::lock_guard<std::mutex> lock(commit_mutex_);
  if (process_queue.offset_reset()) return;  // a seek moved the queue: this position is obsolete
  offset_store_->update_offset(queue, offset, true);
}

void consumer::PushConsumerImpl::run_later(std::chrono::milliseconds delay, std::function<void()> task) {
  auto weak = weak_from_this();
  instance_->scheduler().schedule(delay, [weak, task = std::move(task)] {
    if (auto self = weak.lock(); self && self->state_.load() == State::Running) task();
  });
}

// ---- pull loop ----------------------------------------------------------------------------------

void consumer::PushConsumerImpl::retake_queue_later(const MessageQueue& queue,
                                                  const std::shared_ptr<consumer::ProcessQueue>& process_queue) {
  try {
    run_later(std::chrono::milliseconds(0), [weak = weak_from_this(), queue, process_queue] {
      auto self = weak.lock();
      if (!self || self->state_.load() != State::Running) return;
      if (self->rebalance_->process_queue(queue) == process_queue) self->rebalance_->drop_queue(queue);
      self->do_rebalance();
    });
  } catch (...) {
    // Out of memory even for that: the watchdog restarts a silent loop, mark_dropped stops this one.
    process_queue->mark_dropped();
  }
}

void consumer::PushConsumerImpl::pull_later(std::shared_ptr<PullRequest> request, std::chrono::milliseconds delay) {
  request->answered_at = {};  // a deliberate delay is not turnaround
  auto instance = instance_;
  if (!instance) return;
  auto weak = weak_from_this();
  instance->remoting_run_after(delay, [weak, request = std::move(request)]() mutable {
    if (auto self = weak.lock()) self->guarded_pull(request);
  });
}

void consumer::PushConsumerImpl::guarded_pull(const std::shared_ptr<PullRequest>& request) {
  try {
    pull(request);
  } catch (const std::exception& error) {
    pull_loop_failed(request, "pull", error.what());
  } catch (...) {
    pull_loop_failed(request, "pull", "a non-standard exception");
  }
}

void consumer::PushConsumerImpl::guarded_on_pulled(const std::shared_ptr<PullRequest>& request, client::PullResult&& result,
                                           std::exception_ptr error) {
  try {
    on_pulled(request, std::move(result), error);
  } catch (const std::exception& exception) {
    pull_loop_failed(request, "pull completion", exception.what());
  } catch (...) {
    pull_loop_failed(request, "pull completion", "a non-standard exception");
  }
}

void consumer::PushConsumerImpl::on_background_error(const BackgroundError& error) {
  background_errors_.fetch_add(1, std::memory_order_relaxed);
  const auto& listener = option_.error_listener();
  if (!listener) return;
  try {
    listener(error);
  } catch (const std::exception& thrown) {
    LOG_WARN("the error listener of group " << option_.group_name() << " threw: " << thrown.what());
  } catch (...) {
    LOG_WARN("the error listener of group " << option_.group_name() << " threw a non-standard exception");
  }
}

void consumer::PushConsumerImpl::pull_loop_failed(const std::shared_ptr<PullRequest>& request, const char* where,
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

void consumer::PushConsumerImpl::check_consumption() {
  consume_service_->periodic_check();
  topic_stats_->sample();
  refresh_max_offsets(false);
  const auto now = consumer::ProcessQueue::Clock::now();
  bool restarted = false;
  for (const auto& [queue, process_queue] : rebalance_->process_queues()) {
    if (process_queue->dropped() || now - process_queue->last_pull() < kPullLoopSilenceLimit) continue;
    if (gate_->paused(queue)) continue;  // a suspended queue's loop waits in the gate on purpose
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

void consumer::PushConsumerImpl::pull(std::shared_ptr<PullRequest> request) {
  if (state_.load() != State::Running) return;
  auto& process_queue = *request->process_queue;
  if (process_queue.dropped()) return;  // the queue was given away: this loop ends here
  // Set only when called straight from an answer; a pull delayed below comes back here without it.
  const auto answered = std::exchange(request->answered_at, {});
  process_queue.touch_pull();
  // Suspended: the next pull waits in the gate and is sent by the resume.
  const bool parked = gate_->park_if_paused(request->queue, [weak = weak_from_this(), request] {
    if (auto self = weak.lock()) self->guarded_pull(request);
  });
  if (parked) return;
  // Orderly clustering pulls only while holding the broker lock; the consume side re-locks.
  if (orderly_clustering() && !process_queue.lock_valid(kLockMaxAge)) {
    pull_later(std::move(request), kLockWaitDelay);
    return;
  }
  if (process_queue.cached_count() >= option_.process_queue_size() ||
      process_queue.cached_bytes() >= option_.process_queue_bytes() || process_queue.span() > option_.max_span()) {
    flow_control_pauses_.fetch_add(1, std::memory_order_relaxed);
    process_queue.set_flow_controlled(true);
    pull_later(std::move(request), kFlowControlDelay);
    return;
  }
  process_queue.set_flow_controlled(false);
  protocol::SubscriptionData subscription;
  if (!rebalance_->subscription(request->queue.topic, subscription)) {
    pull_later(std::move(request), kPullRetryDelay);  // unsubscribed meanwhile: the rebalance drops it
    return;
  }
  auto address = pull_api_->pull_address(request->queue);
  if (!address) {
    LOG_WARN("no address for broker " << request->queue.broker_name << "; refreshing the route of "
                                      << request->queue.topic << " and pulling again in 3 s");
    instance_->refresh_route_soon(request->queue.topic);
    pull_later(std::move(request), kPullRetryDelay);
    return;
  }
  // A pull may carry the queue's offset for the broker to commit (as Java's do), but the broker
  // runs pulls and offset updates on different thread pools and keeps whichever lands last, lower
  // or not. An orderly hand-over must leave exactly the offset of its synchronous commit behind, so
  // an orderly consumer's pulls carry none: a pull queued at a busy broker would otherwise commit
  // an older offset after the hand-over, and the next owner would deliver messages again.
  const std::int64_t committed =
      option_.message_model() == MessageModel::Clustering && !orderly_listener_
          ? offset_store_->read_offset(request->queue, consumer::ReadOffsetType::Memory).value_or_minus_one()
          : 0;
  const auto header = pull_api_->build_request(request->queue, *address, request->next_offset, committed,
                                               subscription);
  auto weak = weak_from_this();
  request->sent_at = std::chrono::steady_clock::now();
  if (answered != std::chrono::steady_clock::time_point{}) {
    turnaround_nanos_.fetch_add(
        std::chrono::duration_cast<std::chrono::nanoseconds>(request->sent_at - answered).count(),
        std::memory_order_relaxed);
    turnarounds_.fetch_add(1, std::memory_order_relaxed);
  }
  {
    std::lock_guard<std::mutex> lock(in_flight_mutex_);
    pulls_in_flight_[request.get()] = PullInFlight{request->queue, *address, request->sent_at};
  }
  try {
    pull_api_->send(*address, header, [weak, request](client::PullResult&& result, std::exception_ptr error) {
      if (auto self = weak.lock()) self->guarded_on_pulled(request, std::move(result), error);
    });
  } catch (const std::exception& error) {
    {
      std::lock_guard<std::mutex> lock(in_flight_mutex_);
      pulls_in_flight_.erase(request.get());
    }
    LOG_WARN("pull of " << request->queue.to_string() << " not sent: " << error.what());
    pull_later(std::move(request), kPullRetryDelay);
  }
}

// On an I/O thread's timer, not on the scheduler: the scheduler's synchronous requests to the very
// broker that went silent (heartbeats, offset commits) would hold it for their whole timeout.
void consumer::PushConsumerImpl::schedule_silent_probe() {
  auto weak = weak_from_this();
  instance_->remoting_run_after(kSilentProbePeriod, [weak] {
    auto self = weak.lock();
    if (!self || self->state_.load() != State::Running) return;  // shut down: the chain ends
    try {
      self->probe_silent_brokers();
    } catch (const std::exception& error) {
      LOG_WARN("probing silent brokers failed: " << error.what());
    }
    self->schedule_silent_probe();
  });
}

void consumer::PushConsumerImpl::probe_silent_brokers() {
  const auto now = std::chrono::steady_clock::now();
  // One queue per address will do: the answer, not the offset, is what counts.
  std::map<std::string, MessageQueue> held;
  {
    std::lock_guard<std::mutex> lock(in_flight_mutex_);
    for (const auto& [request, pull] : pulls_in_flight_) {
      if (now - pull.sent_at >= kSilentProbeAfter && probing_.count(pull.address) == 0) {
        held.emplace(pull.address, pull.queue);
      }
    }
  }
  for (const auto& [address, queue] : held) {
    const auto heard = instance_->api().last_heard_from(address);
    if (!heard || now - *heard < kSilentProbeAfter) continue;  // no connection yet, or it is not silent
    {
      std::lock_guard<std::mutex> lock(in_flight_mutex_);
      if (!probing_.insert(address).second) continue;
      probed_at_[address] = now;
    }
    silent_probes_.fetch_add(1, std::memory_order_relaxed);
    auto weak = weak_from_this();
    auto on_answer = [weak, address = address, silent_for = now - *heard](std::exception_ptr error) {
      auto self = weak.lock();
      if (!self) return;
      if (error) {
        self->silent_probes_unanswered_.fetch_add(1, std::memory_order_relaxed);
        LOG_WARN("broker " << address << " held pulls on a connection silent for "
                           << std::chrono::duration_cast<std::chrono::milliseconds>(silent_for).count()
                           << " ms and did not answer a probe within " << kSilentProbeTimeout.count()
                           << " ms: its pulls are sent again on a new connection");
      }
      std::lock_guard<std::mutex> lock(self->in_flight_mutex_);
      self->probing_.erase(address);
      // Answered: the connection lives, and no pull failed because of this probe.
      if (!error) self->probed_at_.erase(address);
    };
    try {
      instance_->api().probe_broker(address, queue.topic, queue.queue_id, kSilentProbeTimeout, std::move(on_answer));
    } catch (const std::exception& error) {
      LOG_DEBUG("no probe of " << address << ": " << error.what());
      std::lock_guard<std::mutex> lock(in_flight_mutex_);
      probing_.erase(address);
    }
  }
}

bool consumer::PushConsumerImpl::closed_by_probe(const std::string& address, std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(in_flight_mutex_);
  // The probe's timeout closes the connection and fails the pulls on it before the probe's own
  // callback runs, so a probe still in flight counts; so does one that went unanswered just now
  // (a margin for a busy I/O thread). An answered probe is forgotten at once.
  if (probing_.count(address) != 0) return true;
  auto it = probed_at_.find(address);
  return it != probed_at_.end() && now - it->second <= kSilentProbeTimeout + std::chrono::milliseconds(500);
}

void consumer::PushConsumerImpl::on_pulled(const std::shared_ptr<PullRequest>& request, client::PullResult&& result,
                                   std::exception_ptr error) {
  std::string pulled_from;
  {
    std::lock_guard<std::mutex> lock(in_flight_mutex_);
    if (auto it = pulls_in_flight_.find(request.get()); it != pulls_in_flight_.end()) {
      pulled_from = std::move(it->second.address);
      pulls_in_flight_.erase(it);
    }
  }
  if (state_.load() != State::Running) return;  // unconsumed: committed offsets do not cover them
  auto& process_queue = request->process_queue;
  if (process_queue->dropped()) return;
  if (error) {
    pull_errors_.fetch_add(1, std::memory_order_relaxed);
    on_background_error(BackgroundError{"pull", "pull of " + request->queue.to_string() + " failed: " + describe(error),
                                        error});
    if (const auto refusal = filter::broker_refuses_sql92(error)) {
      // The broker will not evaluate it: filter on this client instead, with one warning.
      std::lock_guard<std::mutex> lock(mutex_);
      protocol::SubscriptionData current;
      if (rebalance_->subscription(request->queue.topic, current) &&
          current.expression_type == protocol::kExpressionTypeSql92) {
        rebalance_->set_subscription(request->queue.topic, filter::client_side_fallback(current));
        LOG_WARN("broker " << request->queue.broker_name << " refused SQL92 subscription \"" << current.sub_string
                           << "\": " << *refusal << "; " << request->queue.topic
                           << " is now subscribed with \"*\" at the brokers and the expression is evaluated by"
                           << " this client");
      }
      pull_later(request, std::chrono::milliseconds(0));
      return;
    }
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      LOG_WARN("pull of " << request->queue.to_string() << " at " << request->next_offset << " failed: " << e.what());
    }
    pull_api_->pull_failed(request->queue);
    // Its connection went away (closed after a timeout, reset): not a broker's error answer, not a
    // timeout of the pull's own.
    const bool connection_lost = client::transport_failure(error) == client::TransportFailure::ConnectionLost;
    // A broker that cannot be reached may have left the route (a killed master whose slave runs):
    // the route is asked for now rather than at the next periodic refresh, and the client instance
    // keeps asking while a broker is missing from it. Once per topic however many queues fail.
    if (connection_lost) instance_->refresh_route_soon(request->queue.topic);
    const bool probed = !pulled_from.empty() && connection_lost &&
                        closed_by_probe(pulled_from, std::chrono::steady_clock::now());
    pull_later(request, probed ? kPullRetryAfterProbe : kPullRetryDelay);
    return;
  }
  pulls_.fetch_add(1, std::memory_order_relaxed);
  const auto answered = std::chrono::steady_clock::now();
  request->answered_at = answered;
  process_queue->set_broker_max_offset(result.max_offset);
  process_queue->touch_pull_answer();
  protocol::SubscriptionData subscription;
  rebalance_->subscription(request->queue.topic, subscription);
  if (!result.rejected.empty()) skip_undecodable(request->queue, std::move(result.rejected));
  auto messages = pull_api_->process(request->queue, result, subscription);
  topic_stats_->pulled(request->queue.topic, messages.size(), answered - request->sent_at);
  switch (result.status) {
    case client::PullStatus::Found: {
      request->next_offset = result.next_begin_offset;
      if (!messages.empty()) process_queue->put(messages);
      // Filtered-out offsets after the last delivered message still count as consumed.
      if (process_queue->pulled_through(result.next_begin_offset)) {
        commit_offset(request->queue, *process_queue, result.next_begin_offset);
      }
      if (messages.empty()) break;
      // The next pull goes out before the batches are handed over (waking a consume thread is the
      // costliest step here), so the broker works on it while this result is dispatched. The
      // cache already holds this result, so flow control judges the next pull with it counted.
      std::exception_ptr pull_error;
      try {
        continue_pulling(request);
      } catch (...) {
        pull_error = std::current_exception();  // the messages are dispatched all the same
      }
      try {
        consume_service_->submit(std::move(messages), process_queue, request->queue);
      } catch (const std::exception& error) {
        // Never into the pull loop's error path: the next pull is already out, and a retry from
        // there would start a second loop on this queue. The messages sit cached but undelivered,
        // so the queue is given up and taken again from its committed offset (at least once).
        LOG_ERROR("dispatch of " << request->queue.to_string() << " failed: " << error.what()
                                 << "; taking the queue again from its committed offset");
        retake_queue_later(request->queue, process_queue);
      }
      if (pull_error) std::rethrow_exception(pull_error);
      return;
    }
    case client::PullStatus::NoNewMessage:
    case client::PullStatus::NoMatchedMessage:
      request->next_offset = result.next_begin_offset;
      if (process_queue->pulled_through(result.next_begin_offset)) {
        commit_offset(request->queue, *process_queue, result.next_begin_offset);
      }
      break;
    case client::PullStatus::OffsetIllegal: {
      if (result.next_begin_offset == request->next_offset) {
        // OFFSET_MOVED to where this loop already is (a group-wide seek this client applied
        // itself first): nothing to correct.
        pull_later(request, kFlowControlDelay);
        return;
      }
      // The Java client's handling: stop the queue now (nothing it consumed may commit any more),
      // wait for the batches in flight to finish, then commit the offset the broker suggests and
      // take the queue again from there.
      LOG_WARN("offset " << request->next_offset << " of " << request->queue.to_string()
                         << " is illegal; the broker suggests " << result.next_begin_offset << "; correcting in "
                         << kIllegalOffsetDelay.count() << " ms");
      {
        std::lock_guard<std::mutex> lock(commit_mutex_);
        process_queue->mark_offset_reset();
        process_queue->mark_dropped();
      }
      run_later(kIllegalOffsetDelay, [weak = weak_from_this(), queue = request->queue, process_queue,
                                      corrected = result.next_begin_offset] {
        auto self = weak.lock();
        if (!self) return;
        self->offset_store_->update_offset(queue, corrected, false);
        self->offset_store_->persist(queue);
        // Still ours (not given away meanwhile): release it and take it again from the new offset.
        if (self->rebalance_->process_queue(queue) == process_queue) self->rebalance_->drop_queue(queue);
        self->do_rebalance();
      });
      return;
    }
  }
  continue_pulling(request);
}

void consumer::PushConsumerImpl::continue_pulling(const std::shared_ptr<PullRequest>& request) {
  if (option_.pull_interval().count() > 0) {
    request->answered_at = {};  // the interval is the application's choice, not turnaround
    pull_later(request, option_.pull_interval());
  } else {
    pull(request);  // under the caller's guard
  }
}

void consumer::PushConsumerImpl::skip_undecodable(const MessageQueue& queue, std::vector<protocol::RejectedRecord> rejected) {
  undecodable_.fetch_add(static_cast<std::int64_t>(rejected.size()), std::memory_order_relaxed);
  for (const auto& bad : rejected) {
    LOG_WARN("undecodable message in " << queue.to_string() << " at offset " << bad.queue_offset << " skipped: "
                                       << bad.reason
                                       << (bad.commit_log_offset >= 0 ? "; sending it to the dead-letter queue"
                                                                      : "; it cannot be sent back"));
  }
  if (option_.message_model() != MessageModel::Clustering) return;  // no dead-letter queue per client
  // The broker finds the record by its commit-log offset, so even a body this client cannot read
  // can be moved to %DLQ%<group>. A blocking request: on the scheduler, not this I/O thread.
  run_later(std::chrono::milliseconds(0), [weak = weak_from_this(), queue, rejected = std::move(rejected)] {
    auto self = weak.lock();
    if (!self) return;
    for (const auto& bad : rejected) {
      if (bad.commit_log_offset < 0) continue;
      auto address = self->broker_address(queue.broker_name);
      if (!address) continue;
      protocol::ConsumerSendMsgBackRequestHeader header;
      header.offset = bad.commit_log_offset;
      header.group = self->option_.group_name();
      header.delay_level = -1;  // straight to %DLQ%<group>
      header.origin_topic = queue.topic;
      header.max_reconsume_times = self->option_.max_reconsume_times();
      header.broker_name = queue.broker_name;
      try {
        self->instance_->api().consumer_send_message_back(*address, header);
        self->undecodable_dead_lettered_.fetch_add(1, std::memory_order_relaxed);
      } catch (const std::exception& error) {
        LOG_WARN("undecodable message of " << queue.to_string() << " at offset " << bad.queue_offset
                                           << " could not be sent to the dead-letter queue: " << error.what());
      }
    }
  });
}

// ---- seek, lag, suspend -----------------------------------------------------------------------------

void consumer::PushConsumerImpl::apply_offsets(const std::string& topic, const std::map<MessageQueue, std::int64_t>& offsets,
                                       const std::function<void()>& before_retake) {
  // This client's seeks (those with a group reset) one at a time: each one's generation, commits
  // and reset requests belong together (see reset_group_at).
  std::unique_lock<std::mutex> one_seek(seek_call_mutex_, std::defer_lock);
  if (before_retake) one_seek.lock();
  // 1. Stop the old loops: nothing they consumed or pulled may commit from now on.
  std::vector<std::shared_ptr<consumer::ProcessQueue>> stopped;
  {
    std::lock_guard<std::mutex> lock(commit_mutex_);
    for (const auto& [queue, offset] : offsets) {
      if (queue.topic != topic) continue;
      if (auto process_queue = rebalance_->process_queue(queue)) {
        process_queue->mark_offset_reset();
        process_queue->mark_dropped();
        stopped.push_back(process_queue);
      }
    }
  }
  // 2. The new position, committed to the broker (or the local store) for every queue, owned or not,
  //    so that whoever owns a queue next starts there. A retried group reset of an earlier seek of
  //    this client stops here (a newer generation), before it could commit its older offsets again.
  {
    std::lock_guard<std::mutex> committing(seek_commit_mutex_);
    std::map<MessageQueue, std::int64_t> carried;  // earlier seeks' offsets a 4.x broker refused
    if (before_retake) {                           // this client's seek, not a broker's reset
      std::lock_guard<std::mutex> lock(seek_mutex_);
      auto& seeks = topic_seeks_[topic];
      ++seeks.generation;
      carried = seeks.unsent;
    }
    for (const auto& [queue, offset] : offsets) {
      if (queue.topic != topic) continue;
      offset_store_->update_offset(queue, offset, false);
      offset_store_->persist(queue);
    }
    // Their owners have committed over them meanwhile, and this seek's reset (which carries them
    // on) would tell the owners those positions back: committed again first, as by a retry.
    for (const auto& [queue, offset] : carried) {
      if (offsets.count(queue) != 0 || rebalance_->process_queue(queue)) continue;
      offset_store_->update_offset(queue, offset, false);
      offset_store_->persist(queue);
    }
  }
  if (before_retake) before_retake();
  // 3. Give the stopped queues up (their release commits the new position once more) and take them
  //    again from it.
  for (const auto& [queue, offset] : offsets) {
    if (queue.topic == topic && rebalance_->process_queue(queue)) rebalance_->drop_queue(queue);
  }
  LOG_INFO("group " << option_.group_name() << ": " << offsets.size() << " queue(s) of " << topic << " moved ("
                    << stopped.size() << " owned here)");
  instance_->rebalance_soon();
}

std::vector<MessageQueue> consumer::PushConsumerImpl::seekable_queues(const char* what, const std::string& topic) const {
  require_running(what);
  const auto subscribed = subscribed_topics();
  if (subscribed.count(topic) == 0) throw ClientError(std::string(what) + ": " + topic + " is not subscribed");
  auto queues = rebalance_->topic_queues(topic);
  if (queues.empty()) throw ClientError(std::string(what) + ": " + topic + " has no queues (no route yet)");
  return {queues.begin(), queues.end()};
}

void consumer::PushConsumerImpl::reset_group(const std::string& topic, const std::map<MessageQueue, std::int64_t>& applied,
                                     std::optional<std::int64_t> epoch_millis) {
  if (option_.message_model() != MessageModel::Clustering) return;  // broadcasting: offsets are per client
  {
    std::lock_guard<std::mutex> lock(seek_mutex_);
    const auto now = std::chrono::steady_clock::now();
    for (const auto& [queue, offset] : applied) recent_seeks_[queue] = {offset, now};
  }
  GroupReset reset;
  reset.attempts_left = static_cast<int>(2 * option_.persist_offset_interval() / kResetRetryDelay) + 1;
  reset.header.topic = topic;
  reset.header.group = option_.group_name();
  std::map<std::string, std::map<MessageQueue, std::int64_t>> by_broker;
  {
    std::lock_guard<std::mutex> lock(seek_mutex_);
    auto& seeks = topic_seeks_[topic];
    reset.generation = seeks.generation;
    // A time moves every queue of the topic: what earlier seeks left unsent is superseded.
    if (epoch_millis) seeks.unsent.clear();
    for (const auto& [queue, offset] : seeks.unsent) by_broker[queue.broker_name][queue] = offset;
  }
  for (const auto& [queue, offset] : applied) by_broker[queue.broker_name][queue] = offset;
  if (epoch_millis) {
    // One request per broker moves every queue of the topic there to the time.
    reset.header.timestamp = *epoch_millis;
    reset.header.is_force = true;
    for (const auto& entry : by_broker) {
      reset.broker = entry.first;
      reset_group_at(reset);
    }
    return;
  }
  // One request per queue with its offset. A broker resetting on the server side (5.x, the default)
  // hands the offset to the queue's owner as PULL_OFFSET_MOVED on its next pull. One resetting on the
  // client side (4.9) ignores queue and offset; timestamp -1 without force makes it tell every member
  // the committed offsets, which step 2 of apply_offsets has just set for these queues (and a
  // retry sets again, with those of earlier seeks still unsent). Such a broker's refusal is
  // retried once for the whole topic there, not once per queue.
  reset.header.timestamp = -1;
  reset.header.is_force = false;
  for (const auto& [broker, offsets] : by_broker) {
    reset.broker = broker;
    reset.recommit = offsets;
    // The queues of this seek, each; a broker with only earlier seeks' offsets, once.
    std::vector<std::pair<MessageQueue, std::int64_t>> requests;
    for (const auto& entry : offsets) {
      if (applied.count(entry.first) != 0) requests.push_back(entry);
    }
    if (requests.empty()) requests.push_back(*offsets.begin());
    for (const auto& [queue, offset] : requests) {
      reset.header.queue_id = queue.queue_id;
      reset.header.offset = offset;
      if (reset_group_at(reset)) break;
    }
  }
}

bool consumer::PushConsumerImpl::reset_group_at(const GroupReset& reset) {
  {
    std::lock_guard<std::mutex> lock(seek_mutex_);
    // A later seek decides.
    if (topic_seeks_[reset.header.topic].generation != reset.generation) return false;
  }
  const auto& header = reset.header;
  auto address = broker_address(reset.broker);
  if (!address) {
    // Its master gone meanwhile (a retry) or not known yet: asked again like a refusal.
    if (reset.attempts_left > 0) {
      schedule_group_reset_retry(reset);
      return true;
    }
    LOG_WARN("seek of " << header.topic << ": no address for broker " << reset.broker
                        << "; the other members of " << header.group << " were not moved there");
    group_reset_done(reset);
    return false;
  }
  try {
    instance_->api().reset_group_offset(*address, header);
    group_reset_done(reset);
    return false;
  } catch (const BrokerError& error) {
    // A 4.x broker moves a group's members by telling them its committed offsets, and refuses with
    // SYSTEM_ERROR "THe consumer group <g> not exist" while any queue of the topic there has none
    // yet: right after the group consumed a queue, the member owning it commits at its next persist
    // (every persist_offset_interval). So the request is asked again until then. (A 5.x broker's
    // TOPIC_NOT_EXIST or SUBSCRIPTION_GROUP_NOT_EXIST is final.)
    constexpr int kSystemError = static_cast<int>(protocol::ResponseCode::kSystemError);
    const bool uncommitted =
        error.response_code() == kSystemError && error.remark().find("> not exist") != std::string::npos;
    if (uncommitted && reset.attempts_left > 0) {
      {
        std::lock_guard<std::mutex> lock(seek_mutex_);
        auto& seeks = topic_seeks_[header.topic];
        if (seeks.generation != reset.generation) return false;
        for (const auto& entry : reset.recommit) seeks.unsent[entry.first] = entry.second;
      }
      LOG_INFO("seek of " << header.topic << ": broker " << reset.broker << " knows no committed offset of "
                          << header.group << " for some queue yet (" << error.remark()
                          << "); asking again in " << kResetRetryDelay.count() << " ms");
      schedule_group_reset_retry(reset);
      return true;
    }
    LOG_WARN("seek of " << header.topic << ": broker " << reset.broker << " could not move the other "
                        << "members of " << header.group << ": " << error.what());
  } catch (const std::exception& error) {
    LOG_WARN("seek of " << header.topic << ": broker " << reset.broker << " could not move the other "
                        << "members of " << header.group << ": " << error.what());
  }
  group_reset_done(reset);
  return false;
}

void consumer::PushConsumerImpl::schedule_group_reset_retry(const GroupReset& reset) {
  auto retry = reset;
  --retry.attempts_left;
  auto weak = weak_from_this();
  instance_->scheduler().schedule(kResetRetryDelay, [weak, retry = std::move(retry)]() mutable {
    auto self = weak.lock();
    if (self && self->state_.load() == State::Running) self->retry_group_reset(std::move(retry));
  });
}

void consumer::PushConsumerImpl::retry_group_reset(GroupReset reset) {
  {
    // Meanwhile the owners of the moved queues went on committing their old positions, which the
    // broker would tell them back: the seeks' offsets are committed again first (not for a queue
    // owned here, which was moved already and has gone on from there). A seek committing now
    // (the lock busy) makes this retry stale or carries its offsets on: not waited for on the
    // scheduler thread.
    std::unique_lock<std::mutex> committing(seek_commit_mutex_, std::try_to_lock);
    if (!committing.owns_lock()) {
      if (reset.attempts_left > 0) {
        schedule_group_reset_retry(reset);
      } else {
        group_reset_done(reset);
      }
      return;
    }
    {
      std::lock_guard<std::mutex> lock(seek_mutex_);
      const auto& seeks = topic_seeks_[reset.header.topic];
      if (seeks.generation != reset.generation) return;  // a later seek carries the offsets on
      reset.recommit.clear();
      for (const auto& [queue, offset] : seeks.unsent) {
        if (queue.broker_name == reset.broker) reset.recommit[queue] = offset;
      }
    }
    for (const auto& [queue, offset] : reset.recommit) {
      if (rebalance_->process_queue(queue)) continue;
      offset_store_->update_offset(queue, offset, false);
      offset_store_->persist(queue);
    }
  }
  reset_group_at(reset);
}

void consumer::PushConsumerImpl::group_reset_done(const GroupReset& reset) {
  std::lock_guard<std::mutex> lock(seek_mutex_);
  auto& seeks = topic_seeks_[reset.header.topic];
  if (seeks.generation != reset.generation) return;
  for (auto it = seeks.unsent.begin(); it != seeks.unsent.end();) {
    it = it->first.broker_name == reset.broker ? seeks.unsent.erase(it) : std::next(it);
  }
}

std::map<MessageQueue, std::int64_t> consumer::PushConsumerImpl::offsets_from_brokers(
    const char* what, const std::vector<MessageQueue>& queues,
    const std::function<std::int64_t(const std::string& address, const MessageQueue& queue)>& ask) const {
  std::map<MessageQueue, std::int64_t> offsets;
  for (const auto& queue : queues) {
    auto address = broker_address(queue.broker_name);
    if (!address) throw ClientError(std::string(what) + ": no address for broker " + queue.broker_name);
    offsets[queue] = ask(*address, queue);
  }
  return offsets;
}

void consumer::PushConsumerImpl::seek_by_timestamp(const std::string& topic, std::int64_t epoch_millis) {
  const auto queues = seekable_queues("seek_by_timestamp", topic);
  if (epoch_millis < 0) throw ClientError("seek_by_timestamp: negative timestamp " + std::to_string(epoch_millis));
  if (epoch_millis > now_millis() + 1000) {
    throw ClientError("seek_by_timestamp: timestamp " + std::to_string(epoch_millis) + " is in the future");
  }
  const auto offsets = offsets_from_brokers("seek_by_timestamp", queues, [&](const auto& address, const auto& queue) {
    return instance_->api().search_offset(address, topic, queue.queue_id, epoch_millis);
  });
  // The other members are moved before this client's loops start again, so that the brokers' view
  // of the group is the new one by the time they pull.
  apply_offsets(topic, offsets, [&] { reset_group(topic, offsets, epoch_millis); });
}

void consumer::PushConsumerImpl::seek_to_offset(const std::string& topic, int queue_id, std::int64_t offset) {
  const auto queues = seekable_queues("seek_to_offset", topic);
  if (offset < 0) throw ClientError("seek_to_offset: negative offset " + std::to_string(offset));
  std::map<MessageQueue, std::int64_t> offsets;
  for (const auto& queue : queues) {
    if (queue.queue_id == queue_id) offsets[queue] = offset;
  }
  if (offsets.empty()) {
    throw ClientError("seek_to_offset: " + topic + " has no queue " + std::to_string(queue_id));
  }
  // The queue id names a queue on every broker, and their lengths differ: each is moved to `offset`
  // within what it holds (its end when shorter, its first message when `offset` was deleted), as
  // the brokers refuse offsets outside that range.
  for (auto& [queue, wanted] : offsets) {
    if (auto address = broker_address(queue.broker_name)) {
      wanted = std::min(wanted, instance_->api().get_max_offset(*address, topic, queue.queue_id));
      wanted = std::max(wanted, instance_->api().get_min_offset(*address, topic, queue.queue_id));
    }
  }
  apply_offsets(topic, offsets, [&] { reset_group(topic, offsets, std::nullopt); });
}

void consumer::PushConsumerImpl::seek_to_offset(const MessageQueue& queue, std::int64_t offset) {
  const auto queues = seekable_queues("seek_to_offset", queue.topic);
  if (offset < 0) throw ClientError("seek_to_offset: negative offset " + std::to_string(offset));
  if (std::find(queues.begin(), queues.end(), queue) == queues.end()) {
    throw ClientError("seek_to_offset: " + queue.to_string() + " does not exist");
  }
  const auto max_offset = offsets_from_brokers("seek_to_offset", {queue}, [&](const auto& address, const auto&) {
                            return instance_->api().get_max_offset(address, queue.topic, queue.queue_id);
                          }).begin()->second;
  if (offset > max_offset) {
    throw ClientError("seek_to_offset: offset " + std::to_string(offset) + " is past the end of " + queue.to_string() +
                      " (max offset " + std::to_string(max_offset) + ")");
  }
  const std::map<MessageQueue, std::int64_t> offsets{{queue, offset}};
  apply_offsets(queue.topic, offsets, [&] { reset_group(queue.topic, offsets, std::nullopt); });
}

void consumer::PushConsumerImpl::seek_to_begin(const std::string& topic) {
  const auto queues = seekable_queues("seek_to_begin", topic);
  const auto offsets = offsets_from_brokers("seek_to_begin", queues, [&](const auto& address, const auto& queue) {
    return instance_->api().get_min_offset(address, topic, queue.queue_id);
  });
  apply_offsets(topic, offsets, [&] { reset_group(topic, offsets, std::nullopt); });
}

void consumer::PushConsumerImpl::seek_to_end(const std::string& topic) {
  const auto queues = seekable_queues("seek_to_end", topic);
  const auto offsets = offsets_from_brokers("seek_to_end", queues, [&](const auto& address, const auto& queue) {
    return instance_->api().get_max_offset(address, topic, queue.queue_id);
  });
  apply_offsets(topic, offsets, [&] { reset_group(topic, offsets, std::nullopt); });
}

std::int64_t consumer::PushConsumerImpl::committed_offset(const MessageQueue& queue) const {
  require_running("committed_offset");
  auto offset = offset_store_->read_offset(queue, consumer::ReadOffsetType::Memory);
  // Not consumed here (yet): what the broker (or the local file) has.
  if (!offset.found()) offset = offset_store_->read_offset(queue, consumer::ReadOffsetType::Store);
  return offset.value_or_minus_one();
}

std::vector<MessageQueue> consumer::PushConsumerImpl::owned_queues() const {
  std::vector<MessageQueue> queues;
  if (!rebalance_ || state_.load() != State::Running) return queues;
  for (const auto& [queue, process_queue] : rebalance_->process_queues()) queues.push_back(queue);
  return queues;
}

void consumer::PushConsumerImpl::refresh_max_offsets(bool all) {
  const auto now = consumer::ProcessQueue::Clock::now();
  std::set<std::string> failed_brokers;
  for (const auto& [queue, process_queue] : rebalance_->process_queues()) {
    if (process_queue->dropped() || failed_brokers.count(queue.broker_name) != 0) continue;
    // A pull that answered lately brought the max offset with it.
    if (!all && now - process_queue->last_pull_answer() < kMaxOffsetRefreshAge) continue;
    auto address = broker_address(queue.broker_name);
    if (!address) continue;
    try {
      process_queue->set_broker_max_offset(instance_->api().get_max_offset(*address, queue.topic, queue.queue_id));
    } catch (const std::exception& error) {
      failed_brokers.insert(queue.broker_name);
      LOG_DEBUG("max offset of " << queue.to_string() << " unavailable: " << error.what());
    }
  }
}

ConsumerLag consumer::PushConsumerImpl::lag() const {
  require_running("lag");
  const_cast<PushConsumerImpl*>(this)->refresh_max_offsets(true);
  ConsumerLag result;
  for (const auto& [queue, process_queue] : rebalance_->process_queues()) {
    QueueLag entry;
    entry.queue = queue;
    entry.broker_max_offset = process_queue->broker_max_offset();
    entry.committed_offset = offset_store_->read_offset(queue, consumer::ReadOffsetType::Memory).value_or_minus_one();
    entry.cached_messages = process_queue->cached_count();
    entry.lag = queue_lag(entry.broker_max_offset, entry.committed_offset);
    result.total += entry.lag;
    result.queues.push_back(entry);
  }
  return result;
}

void consumer::PushConsumerImpl::warn_if_still_running(bool drained, const std::string& scope) const {
  if (!drained) {
    LOG_WARN("suspend(" << scope << "): listener calls still running after " << option_.shutdown_timeout().count()
                        << " ms; they finish normally, no new one starts");
  }
}

void consumer::PushConsumerImpl::suspend() { warn_if_still_running(gate_->suspend_all(option_.shutdown_timeout()), ""); }

void consumer::PushConsumerImpl::resume() { gate_->resume_all(); }

void consumer::PushConsumerImpl::suspend(const std::string& topic) {
  warn_if_still_running(gate_->suspend_topic(topic, option_.shutdown_timeout()), topic);
}

void consumer::PushConsumerImpl::resume(const std::string& topic) { gate_->resume_topic(topic); }

void consumer::PushConsumerImpl::suspend(const std::vector<MessageQueue>& queues) {
  warn_if_still_running(gate_->suspend_queues(queues, option_.shutdown_timeout()),
                        std::to_string(queues.size()) + " queue(s)");
}

void consumer::PushConsumerImpl::resume(const std::vector<MessageQueue>& queues) { gate_->resume_queues(queues); }

std::vector<MessageQueue> consumer::PushConsumerImpl::suspended_queues() const { return gate_->paused_of(owned_queues()); }

ConsumerStats consumer::PushConsumerImpl::stats() const {
  ConsumerStats stats;
  stats.pulls = pulls_.load();
  stats.pull_errors = pull_errors_.load();
  stats.flow_control_pauses = flow_control_pauses_.load();
  if (const auto turnarounds = turnarounds_.load(); turnarounds > 0) {
    stats.pull_turnaround_us = static_cast<double>(turnaround_nanos_.load()) / 1e3 / static_cast<double>(turnarounds);
  }
  stats.undecodable_messages = undecodable_.load();
  stats.undecodable_dead_lettered = undecodable_dead_lettered_.load();
  stats.background_errors = background_errors_.load();
  stats.silent_broker_probes = silent_probes_.load();
  stats.silent_broker_probes_unanswered = silent_probes_unanswered_.load();
  if (consume_service_) {
    const auto consumed = consume_service_->stats();
    stats.consumed_ok = consumed.consumed_ok;
    stats.consumed_failed = consumed.consumed_failed;
    stats.consume_timeouts = consumed.timed_out;
  }
  for (const auto& [topic, rates] : topic_stats_->rates()) {
    TopicConsumeStats entry;
    entry.pull_tps = rates.pull_tps;
    entry.pull_rt_ms = rates.pull_rt_ms;
    entry.consume_ok_tps = rates.consume_ok_tps;
    entry.consume_failed_tps = rates.consume_failed_tps;
    entry.consume_rt_ms = rates.consume_rt_ms;
    entry.consume_failed_total = rates.consume_failed_total;
    stats.topics.emplace(topic, entry);
  }
  if (pool_) {
    stats.consume_threads = pool_->threads();
    stats.consume_threads_peak = pool_->peak_threads();
  }
  if (rebalance_ && state_.load() == State::Running) {
    for (const auto& [queue, process_queue] : rebalance_->process_queues()) {
      QueueStats entry;
      entry.queue = queue;
      entry.committed_offset = offset_store_->read_offset(queue, consumer::ReadOffsetType::Memory).value_or_minus_one();
      entry.broker_max_offset = process_queue->broker_max_offset();
      entry.lag = queue_lag(entry.broker_max_offset, entry.committed_offset);
      entry.cached_messages = process_queue->cached_count();
      entry.cached_bytes = process_queue->cached_bytes();
      entry.suspended = gate_->paused(queue);
      entry.flow_controlled = process_queue->flow_controlled();
      entry.locked = process_queue->locked();
      entry.last_lock_epoch_millis = process_queue->last_lock_epoch_millis();
      entry.consume_paused = process_queue->consume_paused();
      ++stats.owned_queues;
      stats.cached_messages += entry.cached_messages;
      stats.cached_bytes += entry.cached_bytes;
      stats.lag += entry.lag;
      if (entry.flow_controlled) ++stats.flow_controlled_queues;
      stats.queues.push_back(entry);
    }
  }
  return stats;
}

// ---- the public facade -----------------------------------------------------------------------------

PushConsumer::PushConsumer(ConsumerOption option) : impl_(std::make_unique<Impl>(std::move(option))) {}
PushConsumer::~PushConsumer() {
  try {
    impl_->core->shutdown();
  } catch (const std::exception& error) {
    LOG_ERROR("push consumer shutdown in the destructor failed: " << error.what());
  } catch (...) {
    LOG_ERROR("push consumer shutdown in the destructor failed with a non-standard exception");
  }
}
void PushConsumer::subscribe(const std::string& topic, const std::string& expression) {
  impl_->core->subscribe(topic, expression, filter::detect_expression_type(expression));
}
void PushConsumer::subscribe_with_selector(const std::string& topic, const MessageSelector& selector) {
  impl_->core->subscribe(topic, selector.expression(), selector.type());
}
void PushConsumer::unsubscribe(const std::string& topic) { impl_->core->unsubscribe(topic); }
void PushConsumer::register_message_listener(std::unique_ptr<MessageListenerConcurrently> listener) {
  impl_->core->set_listener(std::move(listener));
}
void PushConsumer::register_message_listener(std::unique_ptr<MessageListenerOrderly> listener) {
  impl_->core->set_listener(std::move(listener));
}
void PushConsumer::start() { impl_->core->start(); }
void PushConsumer::shutdown() { impl_->core->shutdown(); }
void PushConsumer::suspend() { impl_->core->suspend(); }
void PushConsumer::resume() { impl_->core->resume(); }
void PushConsumer::suspend(const std::string& topic) { impl_->core->suspend(topic); }
void PushConsumer::resume(const std::string& topic) { impl_->core->resume(topic); }
void PushConsumer::suspend(const std::vector<MessageQueue>& queues) { impl_->core->suspend(queues); }
void PushConsumer::resume(const std::vector<MessageQueue>& queues) { impl_->core->resume(queues); }
bool PushConsumer::is_suspended() const { return impl_->core->suspended(); }
std::vector<MessageQueue> PushConsumer::suspended_queues() const { return impl_->core->suspended_queues(); }
void PushConsumer::seek_to_offset(const MessageQueue& queue, std::int64_t offset) { impl_->core->seek_to_offset(queue, offset); }
void PushConsumer::seek_to_begin(const std::string& topic) { impl_->core->seek_to_begin(topic); }
void PushConsumer::seek_to_end(const std::string& topic) { impl_->core->seek_to_end(topic); }
std::int64_t PushConsumer::committed_offset(const MessageQueue& queue) const { return impl_->core->committed_offset(queue); }
ConsumerLag PushConsumer::lag() const { return impl_->core->lag(); }
void PushConsumer::seek_by_timestamp(const std::string& topic, std::int64_t epoch_millis) {
  impl_->core->seek_by_timestamp(topic, epoch_millis);
}
void PushConsumer::seek_to_offset(const std::string& topic, int queue_id, std::int64_t offset) {
  impl_->core->seek_to_offset(topic, queue_id, offset);
}
ConsumerStats PushConsumer::stats() const { return impl_->core->stats(); }
std::string PushConsumer::client_id() const { return impl_->core->client_id(); }

}  // namespace rocketmq
