#include "producer/producer_impl.h"

#include <cstdlib>
#include <thread>
#include <utility>

#include "client/transport_failure.h"
#include "common/java_hash.h"
#include "common/log.h"
#include "common/validators.h"
#include "protocol/compression.h"
#include "protocol/message_const.h"
#include "protocol/message_encoder.h"
#include "protocol/message_id.h"
#include "protocol/message_properties.h"
#include "protocol/outgoing_message.h"
#include "protocol/response_code.h"
#include "remoting/remoting_command.h"
#include "rocketmq/error.h"

namespace rocketmq {

namespace producer {

namespace {

namespace property = protocol::message_property;
using protocol::ResponseCode;
using Clock = std::chrono::steady_clock;
// Between asks of a busy broker on an ordered send (times the attempt number).
constexpr std::chrono::milliseconds kBusyBrokerPause{100};

// The template topic of auto-created topics and the queue count the broker gives them (Java's
// TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC and DefaultMQProducer.defaultTopicQueueNums).
constexpr char kDefaultTopic[] = "TBW102";
constexpr int kDefaultTopicQueueNums = 4;
constexpr int kMinCallbackThreads = 1;
constexpr int kMaxCallbackThreads = 4;
constexpr std::chrono::milliseconds kExecutorShutdownTimeout{5000};
// Answers of asynchronous sends a callback thread takes from the queue at a time.
constexpr std::size_t kAnswerRun = 64;
// Probing a broker isolated after a failed send. The probe's timeout is short because a probe
// that goes unanswered closes its connection (a request timeout does), so a connection black-holed
// before the broker came back costs one probe timeout and the next probe connects afresh: a broker
// that answers again is back in use within kProbeInterval + kProbeTimeout, inside one request timeout.
// The timeout is shorter than the interval so that a probe left on a connection of the outage has
// timed out (and freed the broker's probe slot) by the next tick: with both at 1 s, a tick racing
// the timeout skipped the broker and recovery took up to three seconds.
constexpr std::chrono::milliseconds kProbeInterval{1000};
constexpr std::chrono::milliseconds kProbeTimeout{800};

// Set on the callback executor's threads. A user callback that sends again must not block on the
// pending limit: the slots it waits for are released by the very threads it would be blocking.
thread_local bool t_on_callback_thread = false;

std::int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::chrono::milliseconds elapsed_since(Clock::time_point started) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
}

// No answer from the broker at all, as opposed to an answer that is an error.
bool is_unreachable(const std::exception_ptr& error) {
  return client::transport_failure(error) != client::TransportFailure::None;
}

// Transport failures and the broker answers on which another broker may well succeed.
bool is_retryable(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const BrokerError& broker_error) {
    return is_retryable_response_code(broker_error.response_code());
  } catch (...) {
    return is_unreachable(std::current_exception());
  }
}

// The same kind of error, its message prefixed with `context`, so that the caller learns which
// send failed where without losing the type (and the broker's code and remark).
std::exception_ptr with_context(std::exception_ptr error, const std::string& context) {
  try {
    std::rethrow_exception(error);
  } catch (const AuthError& e) {
    return std::make_exception_ptr(AuthError(e.response_code(), e.remark(), context + e.what()));
  } catch (const BrokerError& e) {
    return std::make_exception_ptr(BrokerError(e.response_code(), e.remark(), context + e.what()));
  } catch (const TimeoutError& e) {
    return std::make_exception_ptr(TimeoutError(context + e.what()));
  } catch (const ConnectError& e) {
    return std::make_exception_ptr(ConnectError(context + e.what()));
  } catch (const ProtocolError& e) {
    return std::make_exception_ptr(ProtocolError(context + e.what()));
  } catch (const ClientError& e) {
    return std::make_exception_ptr(ClientError(context + e.what()));
  } catch (const std::exception& e) {
    return std::make_exception_ptr(Error(context + e.what()));
  } catch (...) {
    return std::make_exception_ptr(Error(context + "unknown error"));
  }
}

std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

void add_send_properties(protocol::MessageProperties& properties) {
  auto& uniq_key = properties[property::kUniqKey];
  if (uniq_key.empty()) uniq_key = protocol::UniqueIdGenerator::instance().next();
  // Java's Message constructors set WAIT=true (waitStoreMsgOK); brokers read it for flush handling.
  if (properties.count(property::kWaitStoreMsgOk) == 0) properties[property::kWaitStoreMsgOk] = "true";
}

}  // namespace

// ---- rules ------------------------------------------------------------------------------------

void validate_message(const Message& message, const ProducerOption& option) {
  common::validate_topic_for_send(message.topic());
  if (message.body().empty()) throw ClientError("invalid message to " + message.topic() + ": the body is empty");
  const auto size = static_cast<std::int64_t>(message.body().size());
  if (size > option.max_message_size()) {
    throw ClientError("invalid message to " + message.topic() + ": body of " + std::to_string(size) +
                      " bytes exceeds max_message_size (" + std::to_string(option.max_message_size()) + " bytes)");
  }
}

void validate_batch(const std::vector<Message>& messages, const ProducerOption& option) {
  if (messages.empty()) throw ClientError("invalid batch: it holds no message");
  const std::string& topic = messages.front().topic();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const Message& message = messages[i];
    validate_message(message, option);
    if (message.topic() != topic) {
      throw ClientError("invalid batch: message " + std::to_string(i) + " is for topic " + message.topic() +
                        ", message 0 for " + topic + "; a batch has one topic");
    }
    if (message.delay_level() > 0) {
      throw ClientError("invalid batch: message " + std::to_string(i) +
                        " has a delay level; delayed messages cannot be batched");
    }
    if (message.delivery_timestamp() > 0) {
      throw ClientError("invalid batch: message " + std::to_string(i) +
                        " has a delivery timestamp; timed messages cannot be batched");
    }
  }
}

SendStatus send_status_from_code(int code) noexcept {
  switch (static_cast<ResponseCode>(code)) {
    case ResponseCode::kFlushDiskTimeout:
      return SendStatus::FlushDiskTimeout;
    case ResponseCode::kFlushSlaveTimeout:
      return SendStatus::FlushSlaveTimeout;
    case ResponseCode::kSlaveNotAvailable:
      return SendStatus::SlaveNotAvailable;
    default:
      return SendStatus::SendOk;
  }
}

bool is_retryable_response_code(int code) noexcept {
  switch (static_cast<ResponseCode>(code)) {
    case ResponseCode::kTopicNotExist:
    case ResponseCode::kServiceNotAvailable:
    case ResponseCode::kSystemError:
    case ResponseCode::kSystemBusy:
    case ResponseCode::kNoPermission:
    case ResponseCode::kNoBuyerId:
    case ResponseCode::kNotInCurrentUnit:
    case ResponseCode::kGoAway:
      return true;
    default:
      return false;
  }
}

PreparedMessage prepare_message(const Message& message, const ProducerOption& option) {
  validate_message(message, option);
  PreparedMessage prepared;
  prepared.topic = message.topic();
  prepared.flag = message.flag();
  protocol::MessageProperties properties = message.properties();
  add_send_properties(properties);
  prepared.msg_id = properties[property::kUniqKey];
  prepared.timed = properties.count(property::kTimerDeliverMs) != 0 || properties.count(property::kTimerDelayMs) != 0 ||
                   properties.count(property::kTimerDelaySec) != 0;
  if (static_cast<std::int64_t>(message.body().size()) >= option.compress_threshold()) {
    // Java 5.x marks COMPRESSED_FLAG plus the type bits; older consumers read type 0x300 as zlib too.
    prepared.body = protocol::compress(protocol::CompressionType::kZlib, message.body(), option.compress_level());
    prepared.sys_flag = protocol::sys_flag_with_compression(0, protocol::CompressionType::kZlib);
  } else {
    prepared.body = message.body();
  }
  prepared.properties = protocol::encode_properties(properties);
  return prepared;
}

PreparedMessage prepare_batch(const std::vector<Message>& messages, const ProducerOption& option) {
  validate_batch(messages, option);
  std::vector<protocol::OutgoingMessage> outgoing;
  outgoing.reserve(messages.size());
  PreparedMessage prepared;
  prepared.topic = messages.front().topic();
  prepared.batch = true;
  for (const Message& message : messages) {
    protocol::OutgoingMessage item;
    item.topic = message.topic();
    item.body = message.body();
    item.flag = message.flag();
    item.properties = message.properties();
    add_send_properties(item.properties);
    if (!prepared.msg_id.empty()) prepared.msg_id += ',';
    prepared.msg_id += item.properties[property::kUniqKey];
    outgoing.push_back(std::move(item));
  }
  prepared.body = protocol::encode_batch_body(outgoing);
  const auto size = static_cast<std::int64_t>(prepared.body.size());
  if (size > option.max_message_size()) {
    throw ClientError("invalid batch: " + std::to_string(messages.size()) + " messages encode to " +
                      std::to_string(size) + " bytes, over max_message_size (" +
                      std::to_string(option.max_message_size()) + " bytes); split it");
  }
  // The wrapper carries WAIT only, as MessageBatch.generateFromList gives it, and deliberately no
  // UNIQ_KEY (Java's sendKernelImpl skips batches): 5.x brokers append the wrapper's properties to
  // every inner message, so a wrapper UNIQ_KEY would replace each message's own id.
  prepared.properties = protocol::encode_properties({{property::kWaitStoreMsgOk, "true"}});
  return prepared;
}

// ---- lifecycle --------------------------------------------------------------------------------

struct ProducerImpl::AsyncSend {
  PreparedMessage prepared;
  SendCallback callback;
  int attempts_left = 0;
  std::string last_failed_broker;
  MessageQueue queue;
  bool default_route = false;
  Clock::time_point started;
};

ProducerImpl::ProducerImpl(ProducerOption option) : option_(std::move(option)) {}

ProducerImpl::ProducerImpl(ProducerOption option, std::shared_ptr<client::MQClientInstance> instance)
    : option_(std::move(option)), injected_instance_(std::move(instance)) {}

ProducerImpl::~ProducerImpl() {
  try {
    shutdown();
  } catch (const std::exception& error) {
    LOG_WARN("producer shutdown in destructor failed: " << error.what());
  }
}

void ProducerImpl::start() {
  std::lock_guard<std::mutex> lock(lifecycle_mutex_);
  if (state_.load() != State::Created) throw ClientError("start() called twice, or after shutdown()");
  if (option_.name_server_addr().empty() && !injected_instance_) {
    throw ClientError("start(): no name server address (set_name_server_addr)");
  }
  std::shared_ptr<client::MQClientInstance> instance = injected_instance_;
  if (!instance) {
    client::ClientConfig config;
    config.name_server_addr = option_.name_server_addr();
    config.instance_name = client::ClientConfig::resolve_instance_name(option_.instance_name(), true);
    config.request_timeout = option_.request_timeout();
    config.route_refresh_interval = option_.route_refresh_interval();
    client::apply_security(config, option_);
    instance = client::MQClientInstance::acquire(config);
  }
  // An unreachable name server is a setup error the caller must see now, not at the first send.
  // TBW102's route is also what sends to not-yet-created topics use.
  // A failed start leaves no acquired instance behind (nor a running producer): start() may be retried.
  auto release = [&] {
    if (!injected_instance_) instance->shutdown_if_unused();
  };
  try {
    instance->update_topic_route(kDefaultTopic);
  } catch (const BrokerError&) {
    // Reachable; the cluster just does not auto-create topics.
  } catch (const ConnectError& error) {
    release();
    throw ConnectError("start(): cannot reach the name server " + option_.name_server_addr() + ": " + error.what());
  } catch (const Error& error) {
    release();
    throw ClientError("start(): cannot reach the name server " + option_.name_server_addr() + ": " + error.what());
  }
  if (option_.has_credentials()) {
    // Name servers do not check credentials; a refused key must fail start(), not every send.
    try {
      protocol::HeartbeatData heartbeat;
      heartbeat.producer_data_set.push_back(protocol::ProducerData{option_.group_name()});
      instance->check_broker_access(std::move(heartbeat));
    } catch (...) {
      release();
      throw;
    }
  }
  auto executor = std::make_shared<common::ElasticThreadPool>("producer-cb-" + option_.group_name(),
                                                              kMinCallbackThreads, kMaxCallbackThreads);
  try {
    instance->register_producer(shared_from_this());
  } catch (...) {
    executor->shutdown(std::chrono::milliseconds(0));
    release();
    throw;
  }
  executor_ = std::move(executor);
  std::atomic_store(&instance_, instance);
  state_ = State::Running;
  std::weak_ptr<client::MQClientInstance> weak_instance = instance;
  instance->scheduler().post([weak_instance] {
    if (auto alive = weak_instance.lock()) alive->send_heartbeat_to_all_brokers();
  });
  if (option_.latency_fault_tolerance()) {
    std::weak_ptr<ProducerImpl> weak_self = shared_from_this();
    probe_task_ = instance->scheduler().schedule_every(kProbeInterval, kProbeInterval, [weak_self] {
      if (auto self = weak_self.lock()) self->probe_failed_brokers();
    });
  }
  LOG_INFO("producer " << option_.group_name() << " started as " << instance->client_id());
}

void ProducerImpl::shutdown() {
  std::lock_guard<std::mutex> lock(lifecycle_mutex_);
  State expected = State::Running;
  if (!state_.compare_exchange_strong(expected, State::ShuttingDown)) {
    if (expected == State::Created) state_ = State::Stopped;
    return;
  }
  LOG_INFO("producer " << option_.group_name() << " shutting down");
  {
    std::unique_lock<std::mutex> pending_lock(pending_mutex_);
    pending_changed_.notify_all();  // callers blocked on the pending limit give up
    // Every attempt ends within its timeout, so this bound is only reached if a user callback hangs.
    const auto bound =
        option_.send_timeout() * (option_.async_retry_times() + 1) + option_.request_timeout() + std::chrono::seconds(5);
    // A callback calling shutdown() counts itself as pending: wait for the others only.
    const int own = t_on_callback_thread ? 1 : 0;
    if (!pending_changed_.wait_for(pending_lock, bound, [&] { return pending_async_ <= own; })) {
      LOG_ERROR("producer shutdown: " << pending_async_ << " asynchronous send(s) still pending after "
                                      << bound.count() << " ms; their callbacks may not run");
    }
  }
  if (probe_task_ != 0) {
    if (auto instance = std::atomic_load(&instance_)) instance->scheduler().cancel(probe_task_);
    probe_task_ = 0;
  }
  if (executor_ && !executor_->shutdown(kExecutorShutdownTimeout)) {
    LOG_WARN("producer shutdown: callback threads still busy after " << kExecutorShutdownTimeout.count() << " ms");
  }
  auto instance = std::atomic_exchange(&instance_, std::shared_ptr<client::MQClientInstance>());
  if (instance) {
    instance->unregister_producer(option_.group_name());
    if (!injected_instance_) instance->shutdown_if_unused();
  }
  state_ = State::Stopped;
}

void ProducerImpl::require_running() const {
  switch (state_.load()) {
    case State::Running:
      return;
    case State::Created:
      throw ClientError("the producer is not started: call start() before sending");
    default:
      throw ClientError("the producer is shut down: no more sends after shutdown()");
  }
}

// ---- routes -----------------------------------------------------------------------------------

std::set<std::string> ProducerImpl::published_topics() const {
  std::lock_guard<std::mutex> lock(routes_mutex_);
  std::set<std::string> topics;
  for (const auto& [topic, info] : publish_infos_) topics.insert(topic);
  return topics;
}

void ProducerImpl::on_background_error(const BackgroundError& error) {
  const auto& listener = option_.error_listener();
  if (!listener) return;
  try {
    listener(error);
  } catch (const std::exception& thrown) {
    LOG_WARN("the error listener of producer group " << option_.group_name() << " threw: " << thrown.what());
  } catch (...) {
    LOG_WARN("the error listener of producer group " << option_.group_name() << " threw a non-standard exception");
  }
}

void ProducerImpl::on_topic_route(const std::string& topic, const protocol::TopicRouteData& route) {
  auto info = std::make_shared<const TopicPublishInfo>(topic, route);
  if (info->empty()) {
    LOG_WARN("route of " << topic << " has no writable queue; keeping the previous one");
    return;
  }
  std::lock_guard<std::mutex> lock(routes_mutex_);
  publish_infos_[topic] = std::move(info);
}

std::shared_ptr<const TopicPublishInfo> ProducerImpl::cached_publish_info(const std::string& topic) const {
  std::lock_guard<std::mutex> lock(routes_mutex_);
  auto it = publish_infos_.find(topic);
  return it == publish_infos_.end() ? nullptr : it->second;
}

std::shared_ptr<const TopicPublishInfo> ProducerImpl::publish_info(const std::string& topic) {
  if (auto cached = cached_publish_info(topic)) return cached;
  auto instance = std::atomic_load(&instance_);
  if (!instance) throw ClientError("the producer is shut down");
  std::shared_ptr<const TopicPublishInfo> info;
  try {
    info = std::make_shared<const TopicPublishInfo>(topic, instance->update_topic_route(topic));
  } catch (const BrokerError& error) {
    if (error.response_code() != static_cast<int>(ResponseCode::kTopicNotExist)) {
      std::rethrow_exception(with_context(std::current_exception(), "route of topic " + topic + " unavailable: "));
    }
    // Like the Java producer: send along TBW102's route with defaultTopic=TBW102, and a broker with
    // autoCreateTopicEnable creates the topic on the first message.
    try {
      info = std::make_shared<const TopicPublishInfo>(topic, instance->update_topic_route(kDefaultTopic), true,
                                                      kDefaultTopicQueueNums);
    } catch (const Error& default_error) {
      throw BrokerError(error.response_code(), error.remark(),
                        "topic " + topic + " does not exist and cannot be auto-created (no route of " +
                            kDefaultTopic + ": " + default_error.what() + ")");
    }
    LOG_INFO("topic " << topic << " has no route yet; sending along " << kDefaultTopic
                      << "'s so that the broker creates it");
  } catch (const Error&) {
    std::rethrow_exception(with_context(std::current_exception(), "route of topic " + topic + " unavailable: "));
  }
  if (info->empty()) throw ClientError("topic " + topic + " has no writable queue with a master broker");
  std::lock_guard<std::mutex> lock(routes_mutex_);
  auto& slot = publish_infos_[topic];
  if (!slot || (slot->from_default_topic() && !info->from_default_topic())) slot = info;
  return slot;
}

std::string ProducerImpl::address_of(const MessageQueue& queue) {
  auto instance = std::atomic_load(&instance_);
  if (!instance) throw ClientError("the producer is shut down");
  // Masters only, as Java's findBrokerAddressInPublish: a slave refuses writes.
  if (auto address = instance->master_address(queue.broker_name)) return *address;
  instance->update_topic_route(queue.topic);
  if (auto address = instance->master_address(queue.broker_name)) return *address;
  throw ClientError("no master address known for broker " + queue.broker_name + " of " + queue.to_string());
}

void ProducerImpl::require_timer_store(const PreparedMessage& prepared, const MessageQueue& queue,
                                       const std::string& address) {
  if (!prepared.timed) return;
  auto instance = std::atomic_load(&instance_);
  if (!instance) throw ClientError("the producer is shut down");
  const int version = instance->broker_version(address);
  if (version >= remoting::kVersion5_0_0Snapshot) return;
  throw ClientError("broker " + queue.broker_name + " at " + address + " runs a RocketMQ release before 5.0 (version ordinal " +
                    std::to_string(version) +
                    "), which has no timer store and would deliver a message with a delivery time at once; "
                    "use a delay level there");
}

void ProducerImpl::probe_failed_brokers() {
  if (state_ != State::Running) return;
  auto instance = std::atomic_load(&instance_);
  if (!instance) return;
  for (const auto& [broker, isolated_until] : fault_.unreachable_brokers()) {
    // Any queue of the broker will do: the answer, not the offset, is what counts.
    std::optional<MessageQueue> queue;
    {
      std::lock_guard<std::mutex> lock(routes_mutex_);
      for (const auto& [topic, info] : publish_infos_) {
        for (const auto& candidate : info->queues()) {
          if (candidate.broker_name == broker) {
            queue = candidate;
            break;
          }
        }
        if (queue) break;
      }
    }
    const auto address = instance->master_address(broker);
    if (!queue || !address) continue;
    {
      std::lock_guard<std::mutex> lock(probing_mutex_);
      if (!probing_.insert(broker).second) continue;
    }
    // Asynchronous: the answer (or the probe's timeout) arrives on an I/O thread, and no thread
    // waits for it.
    std::weak_ptr<ProducerImpl> weak_self = shared_from_this();
    auto on_answer = [weak_self, broker = broker, isolated_until = isolated_until,
                      address = *address](std::exception_ptr error) {
      auto self = weak_self.lock();
      if (!self) return;
      if (!error) {
        self->fault_.clear_if_unchanged(broker, isolated_until);
        LOG_INFO("producer " << self->option_.group_name() << ": broker " << broker << " (" << address
                             << ") answers again; sending to it again");
      } else {
        // Still down. Its isolation is not renewed: when it ends, sends try the broker again, so a
        // broker that answers only slower than a probe's timeout is still used.
        LOG_DEBUG("producer " << self->option_.group_name() << ": broker " << broker << " still unreachable");
      }
      std::lock_guard<std::mutex> lock(self->probing_mutex_);
      self->probing_.erase(broker);
    };
    try {
      instance->api().probe_broker(*address, queue->topic, queue->queue_id, kProbeTimeout, std::move(on_answer));
    } catch (const std::exception& error) {
      LOG_DEBUG("producer " << option_.group_name() << ": no probe of " << broker << ": " << error.what());
      std::lock_guard<std::mutex> lock(probing_mutex_);
      probing_.erase(broker);
    }
  }
}

// ---- sending ----------------------------------------------------------------------------------

protocol::SendMessageRequestHeaderV2 ProducerImpl::make_header(const PreparedMessage& prepared,
                                                               const MessageQueue& queue) const {
  protocol::SendMessageRequestHeaderV2 header;
  header.producer_group = option_.group_name();
  header.topic = prepared.topic;
  header.default_topic = kDefaultTopic;
  header.default_topic_queue_nums = kDefaultTopicQueueNums;
  header.queue_id = queue.queue_id;
  header.sys_flag = prepared.sys_flag;
  header.born_timestamp = now_millis();
  header.flag = prepared.flag;
  header.properties = prepared.properties;
  header.reconsume_times = 0;
  header.unit_mode = false;
  header.batch = prepared.batch;
  header.broker_name = queue.broker_name;
  return header;
}

SendResult ProducerImpl::to_result(const PreparedMessage& prepared, const MessageQueue& queue,
                                   const client::SendResponse& response) const {
  SendResult result;
  result.status = send_status_from_code(response.code);
  result.msg_id = prepared.msg_id;
  result.offset_msg_id = response.header.msg_id;
  result.queue = MessageQueue{prepared.topic, queue.broker_name, response.header.queue_id};
  result.queue_offset = response.header.queue_offset;
  return result;
}

SendResult ProducerImpl::send_to_queue(const PreparedMessage& prepared, const MessageQueue& queue) {
  auto instance = std::atomic_load(&instance_);
  if (!instance) throw ClientError("the producer is shut down");
  const std::string address = address_of(queue);
  require_timer_store(prepared, queue, address);
  const auto header = make_header(prepared, queue);
  const auto started = Clock::now();
  try {
    auto response = instance->api().send_message(address, header, prepared.batch, prepared.body, option_.send_timeout());
    fault_.update(queue.broker_name, elapsed_since(started), false);
    return to_result(prepared, queue, response);
  } catch (const Error&) {
    auto error = std::current_exception();
    if (is_unreachable(error)) {
      fault_.isolate_unreachable(queue.broker_name);
    } else if (is_retryable(error)) {
      fault_.update(queue.broker_name, elapsed_since(started), true);
    }
    throw;
  }
}

SendResult ProducerImpl::send_to_fixed_queue(const PreparedMessage& prepared, const MessageQueue& queue) {
  // The caller chose the queue (an ordered send): no other queue may take the message, but a broker
  // that refused it for flow control (SYSTEM_BUSY: not stored) is asked again after a short pause,
  // which keeps the order since the caller waits for this send.
  const int attempts = 1 + option_.retry_times();
  for (int attempt = 1;; ++attempt) {
    try {
      return send_to_queue(prepared, queue);
    } catch (const BrokerError& error) {
      if (attempt >= attempts || error.response_code() != static_cast<int>(protocol::ResponseCode::kSystemBusy)) throw;
      LOG_WARN("send of " << prepared.msg_id << " to " << queue.to_string() << " refused by a busy broker (attempt "
                          << attempt << " of " << attempts << "); asking the same queue again");
      std::this_thread::sleep_for(kBusyBrokerPause * attempt);
    }
  }
}

SendResult ProducerImpl::send_with_retries(const PreparedMessage& prepared) {
  const int attempts = 1 + option_.retry_times();
  std::string last_failed_broker;
  std::exception_ptr last_error;
  std::string failures;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    auto info = publish_info(prepared.topic);
    const auto queue =
        info->select_queue(last_failed_broker, option_.latency_fault_tolerance() ? &fault_ : nullptr);
    try {
      auto result = send_to_queue(prepared, queue);
      if (info->from_default_topic() && info->claim_route_refresh()) {
        // The broker has just created the topic: its own route replaces TBW102's from now on.
        try {
          publish_info_refresh(prepared.topic);
        } catch (const std::exception& error) {
          LOG_DEBUG("route of auto-created " << prepared.topic << " not yet visible: " << error.what());
        }
      }
      return result;
    } catch (const Error&) {
      last_error = std::current_exception();
      if (!is_retryable(last_error)) {
        std::rethrow_exception(with_context(last_error, "send of " + prepared.msg_id + " to " + queue.to_string() + ": "));
      }
      LOG_WARN("send of " << prepared.msg_id << " to " << queue.to_string() << " failed (attempt " << attempt + 1
                          << " of " << attempts << "): " << describe(last_error));
      last_failed_broker = queue.broker_name;
    }
  }
  std::rethrow_exception(with_context(last_error, "send of " + prepared.msg_id + " to topic " + prepared.topic +
                                                      " failed after " + std::to_string(attempts) +
                                                      " attempt(s); last error: "));
}

void ProducerImpl::publish_info_refresh(const std::string& topic) {
  auto instance = std::atomic_load(&instance_);
  if (!instance) return;
  on_topic_route(topic, instance->update_topic_route(topic));
}

SendResult ProducerImpl::send(const Message& message) {
  auto prepared = prepare_message(message, option_);
  require_running();
  return send_with_retries(prepared);
}

SendResult ProducerImpl::send(const Message& message, const MessageQueue& queue) {
  auto prepared = prepare_message(message, option_);
  if (queue.topic != message.topic()) {
    throw ClientError("send to " + queue.to_string() + ": the message is for topic " + message.topic());
  }
  require_running();
  publish_info(message.topic());  // learns the broker addresses of the topic
  try {
    return send_to_fixed_queue(prepared, queue);
  } catch (const Error&) {
    std::rethrow_exception(
        with_context(std::current_exception(), "send of " + prepared.msg_id + " to " + queue.to_string() + ": "));
  }
}

SendResult ProducerImpl::send(const Message& message, const MessageQueueSelector& selector, const std::string& arg) {
  auto prepared = prepare_message(message, option_);
  if (!selector) throw ClientError("ordered send: the queue selector is empty");
  require_running();
  auto info = publish_info(message.topic());
  const MessageQueue queue = selector(info->queues(), message, arg);
  if (queue.topic != message.topic() || queue.broker_name.empty()) {
    throw ClientError("ordered send: the selector returned " + queue.to_string() + ", not a queue of " +
                      message.topic());
  }
  try {
    return send_to_fixed_queue(prepared, queue);
  } catch (const Error&) {
    std::rethrow_exception(
        with_context(std::current_exception(), "send of " + prepared.msg_id + " to " + queue.to_string() + ": "));
  }
}

SendResult ProducerImpl::send(const std::vector<Message>& messages) {
  auto prepared = prepare_batch(messages, option_);
  require_running();
  return send_with_retries(prepared);
}

void ProducerImpl::send_oneway(const Message& message) {
  auto prepared = prepare_message(message, option_);
  require_running();
  auto instance = std::atomic_load(&instance_);
  if (!instance) throw ClientError("the producer is shut down");
  auto info = publish_info(prepared.topic);
  const auto queue = info->select_queue("", option_.latency_fault_tolerance() ? &fault_ : nullptr);
  const std::string address = address_of(queue);
  require_timer_store(prepared, queue, address);
  const auto header = make_header(prepared, queue);
  instance->api().send_message_oneway(address, header, prepared.body);
}

// ---- asynchronous sends -----------------------------------------------------------------------

int ProducerImpl::pending_async_sends() const {
  std::lock_guard<std::mutex> lock(pending_mutex_);
  return pending_async_;
}

void ProducerImpl::acquire_async_slot() {
  std::unique_lock<std::mutex> lock(pending_mutex_);
  const auto may_go = [this] {
    return pending_async_ < option_.max_pending_async_sends() || state_.load() != State::Running;
  };
  if (!t_on_callback_thread && !may_go()) {
    ++async_slot_waiters_;
    pending_changed_.wait(lock, may_go);
    --async_slot_waiters_;
  }
  if (state_.load() != State::Running) throw ClientError("the producer is shut down: no more sends after shutdown()");
  ++pending_async_;
}

void ProducerImpl::release_async_slot() {
  std::lock_guard<std::mutex> lock(pending_mutex_);
  --pending_async_;
  // One slot came free: one blocked sender may take it. Waking them all (4 sending threads at the
  // limit) made three of them wake and sleep again for every answer. A shutdown waits on the same
  // condition for the count to reach zero and hears every release. Notified under the lock: once
  // the count is zero the shutdown may return and the producer go away.
  if (state_.load() != State::Running) {
    pending_changed_.notify_all();
  } else if (async_slot_waiters_ > 0) {
    pending_changed_.notify_one();
  }
}

bool ProducerImpl::run_on_executor(std::function<void()> task) {
  if (!executor_) return false;
  return executor_->submit([task = std::move(task)] {
    t_on_callback_thread = true;
    task();
  });
}

void ProducerImpl::send_async(const Message& message, SendCallback callback) {
  if (!callback) throw ClientError("asynchronous send: the callback is empty");
  auto prepared = prepare_message(message, option_);
  require_running();
  acquire_async_slot();
  auto send = std::make_shared<AsyncSend>();
  send->prepared = std::move(prepared);
  send->callback = std::move(callback);
  send->attempts_left = option_.async_retry_times();
  if (cached_publish_info(send->prepared.topic)) {
    // Queuing the request never touches the network on this thread.
    start_async_attempt(send);
    return;
  }
  // The route must come from the name server first: a blocking call, done on a callback thread.
  std::weak_ptr<ProducerImpl> weak = weak_from_this();
  if (!run_on_executor([weak, send] {
        if (auto self = weak.lock()) self->start_async_attempt(send);
      })) {
    finish_async(send, nullptr, std::make_exception_ptr(ClientError("the producer is shut down")));
  }
}

void ProducerImpl::start_async_attempt(const std::shared_ptr<AsyncSend>& send) {
  std::weak_ptr<ProducerImpl> weak = weak_from_this();
  try {
    auto instance = std::atomic_load(&instance_);
    if (!instance) throw ClientError("the producer is shut down");
    auto info = publish_info(send->prepared.topic);
    send->queue = info->select_queue(send->last_failed_broker, option_.latency_fault_tolerance() ? &fault_ : nullptr);
    send->default_route = info->from_default_topic();
    const std::string address = address_of(send->queue);
    require_timer_store(send->prepared, send->queue, address);
    const auto header = make_header(send->prepared, send->queue);
    send->started = Clock::now();
    instance->api().send_message_async(
        address, header, send->prepared.batch, send->prepared.body, option_.send_timeout(),
        [weak, send](client::SendResponse&& response, std::exception_ptr error) {
          // On an I/O thread: hand over at once, user code never runs here.
          auto self = weak.lock();
          if (!self) {
            LOG_ERROR("asynchronous send " << send->prepared.msg_id << " completed after its producer was destroyed");
            return;
          }
          self->hand_over_answer(send, std::move(response), error);
        });
  } catch (...) {
    // The request was never queued (no route, too many outstanding requests, shut down): treat it
    // like a failed attempt, on a callback thread so the caller never runs its own callback.
    hand_over_answer(send, client::SendResponse{}, std::current_exception());
  }
}

void ProducerImpl::hand_over_answer(std::shared_ptr<AsyncSend> send, client::SendResponse&& response,
                                    std::exception_ptr error) {
  bool start_drainer = false;
  {
    std::lock_guard<std::mutex> lock(answers_mutex_);
    answers_.push_back(AsyncAnswer{std::move(send), std::move(response), std::move(error)});
    if (answer_drainers_ == 0 || (answers_.size() > kAnswerRun && answer_drainers_ < kMaxCallbackThreads)) {
      ++answer_drainers_;
      start_drainer = true;
    }
  }
  if (!start_drainer) return;  // a drainer runs and will find it
  std::weak_ptr<ProducerImpl> weak = weak_from_this();
  if (run_on_executor([weak] {
        if (auto self = weak.lock()) self->drain_answers();
      })) {
    return;
  }
  {
    std::lock_guard<std::mutex> lock(answers_mutex_);
    --answer_drainers_;
  }
  finish_answers_here();
}

void ProducerImpl::drain_answers() {
  std::vector<AsyncAnswer> run;
  run.reserve(kAnswerRun);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(answers_mutex_);
      if (answers_.empty()) {
        --answer_drainers_;
        return;
      }
      const std::size_t count = std::min(answers_.size(), kAnswerRun);
      for (std::size_t i = 0; i < count; ++i) {
        run.push_back(std::move(answers_.front()));
        answers_.pop_front();
      }
    }
    for (auto& answer : run) {
      // Nothing may escape: this drainer must go on to its count's decrement.
      try {
        on_async_response(answer.send, std::move(answer.response), answer.error);
      } catch (const std::exception& error) {
        LOG_ERROR("asynchronous send " << answer.send->prepared.msg_id << ": its answer failed: " << error.what());
      } catch (...) {
        LOG_ERROR("asynchronous send " << answer.send->prepared.msg_id << ": its answer failed");
      }
    }
    run.clear();
  }
}

void ProducerImpl::finish_answers_here() {
  std::deque<AsyncAnswer> waiting;
  {
    std::lock_guard<std::mutex> lock(answers_mutex_);
    if (answer_drainers_ > 0) return;  // one still runs on the executor and takes them
    waiting.swap(answers_);
  }
  for (auto& answer : waiting) {
    // Still exactly once; no retry any more.
    SendResult result;
    if (!answer.error) result = to_result(answer.send->prepared, answer.send->queue, answer.response);
    finish_async(answer.send, answer.error ? nullptr : &result, answer.error);
  }
}

void ProducerImpl::on_async_response(const std::shared_ptr<AsyncSend>& send, client::SendResponse&& response,
                                     std::exception_ptr error) {
  const bool attempted = !send->queue.broker_name.empty();
  if (!error) {
    fault_.update(send->queue.broker_name, elapsed_since(send->started), false);
    const SendResult result = to_result(send->prepared, send->queue, response);
    if (send->default_route) {
      if (auto info = cached_publish_info(send->prepared.topic); info && info->claim_route_refresh()) {
        try {
          publish_info_refresh(send->prepared.topic);
        } catch (const std::exception& refresh_error) {
          LOG_DEBUG("route of auto-created " << send->prepared.topic << " not yet visible: " << refresh_error.what());
        }
      }
    }
    finish_async(send, &result, nullptr);
    return;
  }
  const bool retryable = is_retryable(error);
  if (attempted && is_unreachable(error)) {
    fault_.isolate_unreachable(send->queue.broker_name);
  } else if (retryable && attempted) {
    fault_.update(send->queue.broker_name, elapsed_since(send->started), true);
  }
  const std::string where = attempted ? send->queue.to_string() : "topic " + send->prepared.topic;
  if (retryable && send->attempts_left > 0 && state_.load() != State::Stopped) {
    LOG_WARN("asynchronous send of " << send->prepared.msg_id << " to " << where
                                     << " failed, retrying elsewhere: " << describe(error));
    --send->attempts_left;
    send->last_failed_broker = send->queue.broker_name;
    start_async_attempt(send);
    return;
  }
  finish_async(send, nullptr, with_context(error, "asynchronous send of " + send->prepared.msg_id + " to " + where + ": "));
}

void ProducerImpl::finish_async(const std::shared_ptr<AsyncSend>& send, const SendResult* result,
                                std::exception_ptr error) {
  SendCallback callback = std::move(send->callback);
  if (callback) {
    try {
      if (error) {
        callback(SendResult{}, error);
      } else {
        callback(*result, nullptr);
      }
    } catch (const std::exception& thrown) {
      LOG_ERROR("send callback of " << send->prepared.msg_id << " threw (ignored): " << thrown.what());
    } catch (...) {
      LOG_ERROR("send callback of " << send->prepared.msg_id << " threw a non-standard exception (ignored)");
    }
  }
  release_async_slot();
}

}  // namespace producer

// ---- public facade ----------------------------------------------------------------------------

MessageQueueSelector select_queue_by_hash() {
  return [](const std::vector<MessageQueue>& queues, const Message& message, const std::string& arg) {
    if (queues.empty()) throw ClientError("select_queue_by_hash: topic " + message.topic() + " has no queue");
    // Java's SelectMessageQueueByHash: arg.hashCode() % size, negated when negative.
    const auto size = static_cast<std::int32_t>(queues.size());
    std::int32_t index = common::java_string_hash(arg) % size;
    if (index < 0) index = -index;
    return queues[static_cast<std::size_t>(index)];
  };
}

Producer::Producer(ProducerOption option) : impl_(std::make_unique<Impl>(std::move(option))) {}

Producer::~Producer() {
  try {
    impl_->core->shutdown();
  } catch (const std::exception& error) {
    LOG_WARN("producer shutdown in destructor failed: " << error.what());
  }
}

void Producer::start() { impl_->core->start(); }
void Producer::shutdown() { impl_->core->shutdown(); }
SendResult Producer::send(const Message& message) { return impl_->core->send(message); }
SendResult Producer::send(const Message& message, const MessageQueue& queue) {
  return impl_->core->send(message, queue);
}
SendResult Producer::send(const Message& message, const MessageQueueSelector& selector, const std::string& arg) {
  return impl_->core->send(message, selector, arg);
}
SendResult Producer::send(const std::vector<Message>& messages) { return impl_->core->send(messages); }
void Producer::send(const Message& message, SendCallback callback) {
  impl_->core->send_async(message, std::move(callback));
}
void Producer::send_oneway(const Message& message) { impl_->core->send_oneway(message); }

}  // namespace rocketmq
