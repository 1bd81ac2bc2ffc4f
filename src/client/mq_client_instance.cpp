#include "client/mq_client_instance.h"

#include <algorithm>
#include <set>
#include <system_error>
#include <thread>

#include "client/remoting_mq_client_api.h"
#include "common/host_info.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "protocol/bodies/cluster_info.h"
#include "protocol/bodies/reset_offset_body.h"
#include "protocol/headers.h"
#include "protocol/message_decoder.h"
#include "protocol/request_code.h"
#include "protocol/response_code.h"
#include "rocketmq/error.h"

namespace rocketmq::client {

using protocol::RequestCode;
using protocol::ResponseCode;
using remoting::RemotingCommand;

namespace {

// While a broker is missing from a route that listed it: how often the route is asked for, and
// for how long at most (see watch_lost_brokers_locked).
constexpr std::chrono::milliseconds kLostBrokerRecheckPeriod{2000};
constexpr std::chrono::minutes kLostBrokerRecheckFor{5};

// The process-wide map from client id to instance. Leaked on purpose: an instance may be released
// (and look itself up here) on a library thread while static destruction runs at process exit.
struct Registry {
  std::mutex mutex;
  std::map<std::string, std::weak_ptr<MQClientInstance>> instances;
};
Registry& registry() {
  static Registry* const instances = new Registry();
  return *instances;
}

// Destroying an instance joins its threads, so it must not run on one of them (the last owner can
// let go inside a scheduler task, an I/O completion or a broker request). There the teardown moves
// to a short-lived thread of its own; anywhere else it runs at once.
void destroy_instance(MQClientInstance* instance) {
  if (!instance->on_own_thread()) {
    delete instance;
    return;
  }
  try {
    std::thread([instance] {
      common::set_current_thread_name("teardown");
      delete instance;
    }).detach();
  } catch (const std::system_error& error) {
    // Out of threads: leaking the instance is the only choice that neither deadlocks nor crashes.
    LOG_ERROR("client instance " << instance->client_id() << " cannot be torn down (" << error.what()
                                 << "); its resources stay allocated");
  }
}

RemotingCommand error_response(const RemotingCommand& request, ResponseCode code, const std::string& remark) {
  return RemotingCommand::response_to(request, static_cast<std::int32_t>(code), remark);
}

}  // namespace

bool ClientConfig::same_security(const ClientConfig& other) const {
  return credentials.access_key == other.credentials.access_key &&
         credentials.secret_key == other.credentials.secret_key &&
         credentials.security_token == other.credentials.security_token && remoting.tls == other.remoting.tls;
}

std::string ClientConfig::client_id() const { return common::local_ip_address() + "@" + instance_name; }

std::string ClientConfig::resolve_instance_name(const std::string& instance_name, bool unique_per_client) {
  if (instance_name != kDefaultInstanceName || !unique_per_client) return instance_name;
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch());
  // Two clients created in the same nanosecond still differ.
  static std::atomic<std::uint64_t> sequence{0};
  const auto tick = static_cast<std::uint64_t>(nanos.count()) + sequence.fetch_add(1);
  return std::to_string(common::process_id()) + "#" + std::to_string(tick);
}

std::shared_ptr<MQClientInstance> MQClientInstance::acquire(const ClientConfig& config) {
  const std::string id = config.client_id();
  auto& reg = registry();
  // Declared before the lock: if it holds the last reference, the instance is released after
  // unlocking (its teardown takes the registry lock itself).
  std::shared_ptr<MQClientInstance> existing;
  std::lock_guard<std::mutex> lock(reg.mutex);
  auto& slot = reg.instances[id];
  existing = slot.lock();
  if (existing && !existing->closing()) {
    // Sharing an instance set up with other keys or TLS settings would silently use those.
    if (!existing->config_.same_security(config)) {
      throw ClientError("client id " + id + " is in use by a client with other credentials or TLS settings; "
                        "give this client another instance name (set_instance_name)");
    }
    return existing;
  }
  auto remoting = std::make_unique<remoting::RemotingClient>(config.remoting);
  if (!config.credentials.empty()) remoting->set_rpc_hook(std::make_shared<AclRpcHook>(config.credentials));
  auto api = std::make_unique<RemotingMQClientAPI>(*remoting, config.name_server_addr, config.request_timeout);
  std::shared_ptr<MQClientInstance> instance(new MQClientInstance(config, std::move(api), std::move(remoting)),
                                             destroy_instance);
  slot = instance;
  return instance;
}

MQClientInstance::MQClientInstance(ClientConfig config, std::unique_ptr<MQClientAPI> api,
                                   std::unique_ptr<remoting::RemotingClient> remoting)
    : config_(std::move(config)),
      client_id_(config_.client_id()),
      remoting_(std::move(remoting)),
      api_(std::move(api)),
      scheduler_("client-" + client_id_) {
  if (remoting_) register_processors();
}

MQClientInstance::~MQClientInstance() {
  shutdown();
  // shutdown() may have run earlier on one of our threads and left the transport open; its
  // processors use our members, so it is joined here, before any member goes away.
  if (remoting_ && !remoting_->in_own_thread()) remoting_->shutdown();
}

bool MQClientInstance::on_own_thread() const {
  return scheduler_.in_scheduler_thread() || (remoting_ && remoting_->in_own_thread());
}

void MQClientInstance::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
  }
  if (shut_down_.exchange(true)) return;
  LOG_INFO("client instance " << client_id_ << " shutting down");
  scheduler_.shutdown();
  // From one of our own threads the transport cannot join itself; the destructor (which never runs
  // there, see destroy_instance) finishes the job.
  if (remoting_ && !remoting_->in_own_thread()) remoting_->shutdown();
  auto& reg = registry();
  std::shared_ptr<MQClientInstance> current;  // released after unlocking, as in acquire()
  std::lock_guard<std::mutex> lock(reg.mutex);
  auto it = reg.instances.find(client_id_);
  if (it != reg.instances.end()) {
    current = it->second.lock();
    if (!current || current.get() == this) reg.instances.erase(it);
  }
}

void MQClientInstance::shutdown_if_unused() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!consumers_.empty() || !producers_.empty()) return;
    // Under the lock, so that a client registering now either comes first (and keeps the
    // instance) or is refused with a clear error.
    closing_ = true;
  }
  shutdown();
}

void MQClientInstance::register_consumer(const std::shared_ptr<ConsumerInner>& consumer) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing_ || shut_down_.load()) {
      throw ClientError("client instance " + client_id_ + " was shut down meanwhile; start again");
    }
    auto& slot = consumers_[consumer->group()];
    if (!slot.expired()) {
      throw ClientError("consumer group " + consumer->group() + " is already running in client " + client_id_ +
                        "; give the second consumer another instance name (set_instance_name)");
    }
    slot = consumer;
  }
  start_periodic_tasks();
}

void MQClientInstance::unregister_consumer(const std::string& group) {
  std::set<std::string> addresses;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // First, as the Java client does: a heartbeat sent meanwhile must not announce it again.
    consumers_.erase(group);
    for (const auto& [name, ids] : broker_addrs_) {
      for (const auto& [id, address] : ids) addresses.insert(address);
    }
  }
  protocol::UnregisterClientRequestHeader header;
  header.client_id = client_id_;
  header.consumer_group = group;
  for (const auto& address : addresses) {
    try {
      api_->unregister_client(address, header);
    } catch (const std::exception& error) {
      LOG_WARN("unregister of " << group << " from " << address << " failed: " << error.what());
    }
  }
}

void MQClientInstance::register_producer(const std::shared_ptr<ProducerInner>& producer) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing_ || shut_down_.load()) {
      throw ClientError("client instance " + client_id_ + " was shut down meanwhile; start again");
    }
    producers_[producer->group()] = producer;
  }
  start_periodic_tasks();
}

void MQClientInstance::unregister_producer(const std::string& group) {
  std::lock_guard<std::mutex> lock(mutex_);
  producers_.erase(group);
}

void MQClientInstance::start_periodic_tasks() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (periodic_started_) return;
    periodic_started_ = true;
  }
  auto weak = weak_from_this();
  auto every = [this, weak](std::chrono::milliseconds period, void (MQClientInstance::*task)()) {
    scheduler_.schedule_every(period, period, [weak, task] {
      if (auto self = weak.lock()) ((*self).*task)();
    });
  };
  every(config_.route_refresh_interval, &MQClientInstance::refresh_all_routes);
  every(config_.heartbeat_interval, &MQClientInstance::send_heartbeat_to_all_brokers);
  every(config_.rebalance_interval, &MQClientInstance::rebalance_all);
  every(config_.persist_offset_interval, &MQClientInstance::persist_all_offsets);
}

std::shared_ptr<ConsumerInner> MQClientInstance::consumer(const std::string& group) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = consumers_.find(group);
  return it == consumers_.end() ? nullptr : it->second.lock();
}

protocol::TopicRouteData MQClientInstance::update_topic_route(const std::string& topic) {
  // Several threads refresh one topic at times (the periodic refresh, a send that found no route, a
  // consumer's start): the answers can come back in any order. Each query is numbered before it is
  // sent, and an answer older than the one already stored is not applied: a route read before a
  // broker registered the topic must not replace one that lists it (its queues would be pulled
  // from a broker whose address the instance had dropped).
  std::uint64_t asked = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    asked = ++route_sequence_;
  }
  const auto answer = api_->get_topic_route(topic);
  auto route = answer;
  std::vector<std::string> missing;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    missing = masters_missing_locked(topic, answer);
    // A master this name server lists again is no longer kept from another.
    auto kept = kept_masters_.find(topic);
    if (kept != kept_masters_.end()) {
      for (auto it = kept->second.begin(); it != kept->second.end();) {
        const bool still = std::find(missing.begin(), missing.end(), it->first) != missing.end();
        it = still ? std::next(it) : kept->second.erase(it);
      }
      if (kept->second.empty()) kept_masters_.erase(kept);
    }
  }
  if (!missing.empty()) keep_masters_listed_elsewhere(topic, missing, route);
  bool recheck = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& version = route_versions_[topic];
    if (version > asked) return routes_[topic];  // a later query answered first: its route stands
    // Watched by what this name server says: a master kept from another one is asked for again
    // every recheck period until this one lists it too (or the other no longer does).
    recheck = watch_lost_brokers_locked(topic, routes_[topic], answer);
    routes_[topic] = route;
    version = asked;
    rebuild_broker_addresses();
  }
  if (recheck) refresh_route_later(topic, kLostBrokerRecheckPeriod);
  // Clients learn the routes in the order they were stored: an answer overtaken while waiting here
  // leaves the telling to the newer one.
  std::lock_guard<std::mutex> telling(route_notify_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (route_versions_[topic] != asked) return routes_[topic];
  }
  for (auto& consumer : live_consumers()) {
    if (consumer->subscribed_topics().count(topic) != 0) consumer->on_topic_route(topic, route);
  }
  for (auto& producer : live_producers()) {
    if (producer->published_topics().count(topic) != 0) producer->on_topic_route(topic, route);
  }
  return route;
}

void MQClientInstance::refresh_route_soon(const std::string& topic) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing_ || !route_refresh_pending_.insert(topic).second) return;
  }
  auto weak = weak_from_this();
  scheduler_.post([weak, topic] {
    auto self = weak.lock();
    if (!self) return;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->route_refresh_pending_.erase(topic);
    }
    try {
      self->update_topic_route(topic);
    } catch (const std::exception& error) {
      LOG_WARN("route refresh of " << topic << " failed: " << error.what());
    }
  });
}

// A broker (or its master) that leaves a topic's route (killed, restarting, its registration
// expired) usually comes back within a minute or two; learning of it only at the next periodic refresh (30 s) would leave
// its queues unconsumed and unused for that long after it is back. So while a broker is missing
// from a route that listed it, the route is asked for every kLostBrokerRecheckPeriod, for up to
// kLostBrokerRecheckFor. Requires mutex_; true when the topic is (still) watched.
bool MQClientInstance::watch_lost_brokers_locked(const std::string& topic, const protocol::TopicRouteData& previous,
                                                 const protocol::TopicRouteData& current) {
  const auto now = std::chrono::steady_clock::now();
  // A broker counts as present with its master: a master gone while its slave stays is watched too
  // (its queues are read from the slave meanwhile, and written nowhere).
  std::set<std::string> present;
  for (const auto& broker : current.broker_datas) {
    if (broker.master_address()) present.insert(broker.broker_name);
  }
  auto& watch = lost_brokers_[topic];
  // A watch that ran out is not started again until this name server lists the master once more
  // (a master only another name server lists stays in the stored route: without this, each
  // periodic refresh would start another five minutes of rechecks).
  auto& expired = expired_watches_[topic];
  for (auto it = expired.begin(); it != expired.end();) {
    it = present.count(*it) != 0 ? expired.erase(it) : std::next(it);
  }
  for (const auto& broker : previous.broker_datas) {
    if (broker.master_address() && present.count(broker.broker_name) == 0 &&
        expired.count(broker.broker_name) == 0 && watch.missing.insert(broker.broker_name).second) {
      watch.until = now + kLostBrokerRecheckFor;
      LOG_INFO("the master of broker " << broker.broker_name << " left the route of " << topic
                                       << "; asking for the route every " << kLostBrokerRecheckPeriod.count()
                                       << " ms until it is back");
    }
  }
  for (auto it = watch.missing.begin(); it != watch.missing.end();) {
    it = present.count(*it) != 0 ? watch.missing.erase(it) : std::next(it);
  }
  if (!watch.missing.empty() && now >= watch.until) {
    expired.insert(watch.missing.begin(), watch.missing.end());
  }
  if (expired.empty()) expired_watches_.erase(topic);
  if (watch.missing.empty() || now >= watch.until) {
    lost_brokers_.erase(topic);
    return false;
  }
  return true;
}

std::vector<std::string> MQClientInstance::masters_missing_locked(
    const std::string& topic, const protocol::TopicRouteData& current) const {
  std::set<std::string> present;
  for (const auto& broker : current.broker_datas) {
    if (broker.master_address()) present.insert(broker.broker_name);
  }
  std::set<std::string> missing;
  auto stored = routes_.find(topic);
  if (stored != routes_.end()) {
    for (const auto& broker : stored->second.broker_datas) {
      if (broker.master_address() && present.count(broker.broker_name) == 0) {
        missing.insert(broker.broker_name);
      }
    }
  }
  auto watched = lost_brokers_.find(topic);
  if (watched != lost_brokers_.end()) {
    for (const auto& name : watched->second.missing) {
      if (present.count(name) == 0) missing.insert(name);
    }
  }
  return {missing.begin(), missing.end()};
}

// Name servers learn of a broker independently: a restarted one registered with one of them
// (after its banner, one run saw the second name server without it for over 4 s), a
// registration lost or expired at one. A client asking only the one that has not heard from it
// would forget a master that is up (one it may have just found answering), or not see it back:
// its queues read from a slave, or not at all, and no writes, until a refresh finds it. A master
// that died is gone from every name server at once (each sees the broker's connection close), so
// the second opinion costs a route query per other name server when a master leaves a route, and
// every recheck period while a lost master is watched (watch_lost_brokers_locked). A master that
// one name server still lists although it is gone (one cut off from the broker keeps it until its
// registration expires, 120 s) stays in use that long; its pulls and sends fail and are retried.
void MQClientInstance::keep_masters_listed_elsewhere(const std::string& topic,
                                                     const std::vector<std::string>& missing,
                                                     protocol::TopicRouteData& route) {
  const auto answers = api_->get_topic_route_from_other_name_servers(topic);
  for (const auto& name : missing) {
    bool found = false;
    for (const auto& [name_server, other] : answers) {
      auto broker = std::find_if(other.broker_datas.begin(), other.broker_datas.end(), [&](const auto& data) {
        return data.broker_name == name && data.master_address();
      });
      if (broker == other.broker_datas.end()) continue;
      found = true;
      const std::string master = *broker->master_address();
      bool first_time = false;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        auto& logged = kept_masters_[topic][name];
        first_time = logged != master;
        logged = master;
      }
      if (first_time) {  // said once, not at every recheck
        LOG_INFO("the route of " << topic << " lacks the master of broker " << name << ", which name server "
                                 << name_server << " lists (" << master << "): kept");
      }
      // In place where the route has the broker (its slave), so the order of brokers stays.
      const auto same_name = [&](const auto& data) { return data.broker_name == name; };
      auto kept = std::find_if(route.broker_datas.begin(), route.broker_datas.end(), same_name);
      if (kept != route.broker_datas.end()) {
        *kept = *broker;
      } else {
        route.broker_datas.push_back(*broker);
      }
      auto queues = std::find_if(other.queue_datas.begin(), other.queue_datas.end(), same_name);
      if (queues != other.queue_datas.end()) {
        auto queues_kept = std::find_if(route.queue_datas.begin(), route.queue_datas.end(), same_name);
        if (queues_kept != route.queue_datas.end()) {
          *queues_kept = *queues;
        } else {
          route.queue_datas.push_back(*queues);
        }
      }
      break;
    }
    if (!found) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto kept = kept_masters_.find(topic);
      if (kept != kept_masters_.end() && kept->second.erase(name) != 0 && kept->second.empty()) {
        kept_masters_.erase(kept);
      }
    }
  }
}

void MQClientInstance::refresh_route_later(const std::string& topic, std::chrono::milliseconds delay) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closing_ || !route_recheck_pending_.insert(topic).second) return;
  }
  auto weak = weak_from_this();
  scheduler_.schedule(delay, [weak, topic] {
    auto self = weak.lock();
    if (!self) return;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->route_recheck_pending_.erase(topic);
      if (self->closing_) return;
    }
    try {
      self->update_topic_route(topic);
    } catch (const std::exception& error) {
      LOG_DEBUG("route recheck of " << topic << " failed: " << error.what());
      // Still watched: try again, the name server may be the one that is down.
      bool watched = false;
      {
        std::lock_guard<std::mutex> lock(self->mutex_);
        auto it = self->lost_brokers_.find(topic);
        watched = it != self->lost_brokers_.end() && std::chrono::steady_clock::now() < it->second.until;
      }
      if (watched) self->refresh_route_later(topic, kLostBrokerRecheckPeriod);
    }
  });
}

std::optional<protocol::TopicRouteData> MQClientInstance::cached_route(const std::string& topic) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = routes_.find(topic);
  if (it == routes_.end()) return std::nullopt;
  return it->second;
}

void MQClientInstance::rebuild_broker_addresses() {
  // The name server's answer is the truth: a broker (or a replica of one) that left the route is
  // gone from it, and an address kept from an older route would have pulls, commits and send-backs
  // stick to a dead process. Several topics name the same broker; a newer route of one topic
  // lists its current replicas, so the freshest answer per broker name wins (Java's
  // brokerAddrTable.put per route, plus cleanOfflineBroker for names no route mentions any more).
  std::map<std::string, std::map<std::int64_t, std::string>> addresses;
  std::map<std::string, std::uint64_t> freshness;
  for (const auto& [topic, route] : routes_) {
    const std::uint64_t updated = route_versions_[topic];
    for (const auto& broker : route.broker_datas) {
      auto known = freshness.find(broker.broker_name);
      if (known != freshness.end() && known->second > updated) continue;
      freshness[broker.broker_name] = updated;
      addresses[broker.broker_name] = broker.broker_addrs;
    }
  }
  for (const auto& [name, ids] : broker_addrs_) {
    auto now = addresses.find(name);
    for (const auto& [id, address] : ids) {
      if (now == addresses.end() || now->second.count(id) == 0 || now->second.at(id) != address) {
        LOG_INFO("broker " << name << " id " << id << " at " << address << " left the route; forgotten");
      }
    }
    // Every replica gone: nothing of that broker can be reached until a route lists it again.
    if (!ids.empty() && (now == addresses.end() || now->second.empty())) {
      LOG_WARN("broker " << name << " is in no route any more (" << routes_.size()
                         << " topic route(s) known); its queues wait for a route that lists it");
    }
  }
  broker_addrs_ = std::move(addresses);
}

std::optional<std::string> MQClientInstance::broker_address(const std::string& broker_name, std::int64_t broker_id,
                                                            bool only_this_broker) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = broker_addrs_.find(broker_name);
  if (it == broker_addrs_.end() || it->second.empty()) return std::nullopt;
  auto exact = it->second.find(broker_id);
  if (exact != it->second.end()) return exact->second;
  if (only_this_broker) return std::nullopt;
  // As Java's findBrokerAddressInSubscribe: the next slave for a slave id, else any live replica,
  // the master when it is known, else the lowest slave id (slave reads while the master is down).
  if (broker_id != 0) {
    auto next = it->second.find(broker_id + 1);
    if (next != it->second.end()) return next->second;
  }
  return it->second.begin()->second;
}

std::optional<std::string> MQClientInstance::master_address(const std::string& broker_name) const {
  return broker_address(broker_name, 0, true);
}

void MQClientInstance::refresh_all_routes() {
  std::set<std::string> topics;
  for (const auto& consumer : live_consumers()) {
    auto subscribed = consumer->subscribed_topics();
    topics.insert(subscribed.begin(), subscribed.end());
  }
  for (const auto& producer : live_producers()) {
    auto published = producer->published_topics();
    topics.insert(published.begin(), published.end());
  }
  for (const auto& topic : topics) {
    try {
      update_topic_route(topic);
    } catch (const std::exception& error) {
      LOG_WARN("route refresh of " << topic << " failed: " << error.what());
      report_background_error("route_refresh", "route refresh of " + topic + " failed: " + error.what(),
                              std::current_exception(), topic);
    }
  }
}

void MQClientInstance::report_background_error(const char* operation, const std::string& what,
                                               std::exception_ptr error, const std::optional<std::string>& topic) {
  const BackgroundError report{operation, what, std::move(error)};
  for (const auto& consumer : live_consumers()) {
    if (!topic || consumer->subscribed_topics().count(*topic) != 0) consumer->on_background_error(report);
  }
  for (const auto& producer : live_producers()) {
    if (!topic || producer->published_topics().count(*topic) != 0) producer->on_background_error(report);
  }
}

protocol::HeartbeatData MQClientInstance::heartbeat_data() const {
  protocol::HeartbeatData heartbeat;
  heartbeat.client_id = client_id_;
  for (const auto& consumer : live_consumers()) heartbeat.consumer_data_set.push_back(consumer->consumer_data());
  for (const auto& producer : live_producers()) {
    heartbeat.producer_data_set.push_back(protocol::ProducerData{producer->group()});
  }
  return heartbeat;
}

void MQClientInstance::send_heartbeat(const std::string& address, const protocol::HeartbeatData& heartbeat) {
  const int version = api_->send_heartbeat(address, heartbeat);
  std::lock_guard<std::mutex> lock(mutex_);
  broker_versions_[address] = version;
}

int MQClientInstance::broker_version(const std::string& address) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = broker_versions_.find(address); it != broker_versions_.end()) return it->second;
  }
  send_heartbeat(address, heartbeat_data());
  std::lock_guard<std::mutex> lock(mutex_);
  return broker_versions_.at(address);
}

std::optional<int> MQClientInstance::known_broker_version(const std::string& address) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (auto it = broker_versions_.find(address); it != broker_versions_.end()) return it->second;
  return std::nullopt;
}

void MQClientInstance::send_heartbeat_to_all_brokers() {
  const auto heartbeat = heartbeat_data();
  std::map<std::string, std::map<std::int64_t, std::string>> brokers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    brokers = broker_addrs_;
  }
  if (heartbeat.consumer_data_set.empty() && heartbeat.producer_data_set.empty()) return;
  for (const auto& [name, ids] : brokers) {
    for (const auto& [id, address] : ids) {
      // Producers only talk to masters; consumers may pull from slaves.
      if (id != 0 && heartbeat.consumer_data_set.empty()) continue;
      try {
        send_heartbeat(address, heartbeat);
      } catch (const std::exception& error) {
        LOG_WARN("heartbeat to " << name << " at " << address << " failed: " << error.what());
        report_background_error("heartbeat",
                                "heartbeat to " + name + " at " + address + " failed: " + error.what(),
                                std::current_exception(), std::nullopt);
      }
    }
  }
}

bool MQClientInstance::check_broker_access(protocol::HeartbeatData heartbeat) {
  heartbeat.client_id = client_id_;
  protocol::ClusterInfo cluster;
  try {
    cluster = api_->get_broker_cluster_info();
  } catch (const Error& error) {
    LOG_WARN("access check skipped: no broker list from the name server: " << error.what());
    return false;
  }
  int asked = 0;
  int accepted = 0;
  for (const auto& [name, broker] : cluster.broker_addr_table) {
    const auto address = broker.master_address();
    if (!address) continue;
    ++asked;
    try {
      send_heartbeat(*address, heartbeat);
      ++accepted;
    } catch (const AuthError&) {
      throw;
    } catch (const Error& error) {
      LOG_WARN("access check: heartbeat to " << name << " at " << *address << " failed: " << error.what());
    }
  }
  return asked > 0 && accepted == asked;
}

void MQClientInstance::rebalance_soon() {
  if (rebalance_pending_.exchange(true)) return;
  auto weak = weak_from_this();
  scheduler_.post([weak] {
    if (auto self = weak.lock()) self->rebalance_all();
  });
}

std::vector<std::shared_ptr<ConsumerInner>> MQClientInstance::live_consumers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<ConsumerInner>> consumers;
  for (const auto& [group, weak] : consumers_) {
    if (auto consumer = weak.lock()) consumers.push_back(std::move(consumer));
  }
  return consumers;
}

std::vector<std::shared_ptr<ProducerInner>> MQClientInstance::live_producers() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<ProducerInner>> producers;
  for (const auto& [group, weak] : producers_) {
    if (auto producer = weak.lock()) producers.push_back(std::move(producer));
  }
  return producers;
}

void MQClientInstance::for_each_consumer(const char* what, void (ConsumerInner::*task)()) {
  for (auto& consumer : live_consumers()) {
    try {
      ((*consumer).*task)();
    } catch (const std::exception& error) {
      LOG_WARN(what << " of " << consumer->group() << " failed: " << error.what());
    }
  }
}

void MQClientInstance::rebalance_all() {
  rebalance_pending_ = false;
  for_each_consumer("rebalance", &ConsumerInner::do_rebalance);
}

void MQClientInstance::persist_all_offsets() { for_each_consumer("offset persistence", &ConsumerInner::persist_offsets); }

void MQClientInstance::register_processors() {
  // The processors run on the remoting processor thread and capture `this`: the destructor shuts
  // the remoting client down (joining that thread) before any member goes away.
  remoting_->register_processor(
      static_cast<std::int32_t>(RequestCode::kNotifyConsumerIdsChanged),
      [this](const std::string& address, RemotingCommand& request) -> std::optional<RemotingCommand> {
        LOG_INFO("broker " << address << " notified a change of consumers in group "
                           << (request.ext_field("consumerGroup") ? *request.ext_field("consumerGroup") : "?"));
        rebalance_soon();
        return std::nullopt;
      });
  remoting_->register_processor(
      static_cast<std::int32_t>(RequestCode::kResetConsumerClientOffset),
      [this](const std::string& address, RemotingCommand& request) -> std::optional<RemotingCommand> {
        const auto header = protocol::ResetOffsetRequestHeader::decode(request.ext_fields);
        if (auto target = consumer(header.group)) {
          const auto body = protocol::ResetOffsetBody::decode(request.body);
          target->reset_offsets(header.topic, body.offset_table);
        }
        return std::nullopt;
      });
  remoting_->register_processor(
      static_cast<std::int32_t>(RequestCode::kGetConsumerRunningInfo),
      [this](const std::string&, RemotingCommand& request) -> std::optional<RemotingCommand> {
        const auto header = protocol::GetConsumerRunningInfoRequestHeader::decode(request.ext_fields);
        auto target = consumer(header.consumer_group);
        if (!target) {
          return error_response(request, ResponseCode::kSystemError,
                                "The Consumer Group <" + header.consumer_group + "> not exist in this consumer");
        }
        auto response = RemotingCommand::response_to(request, 0);
        response.body = target->running_info().encode();
        return response;
      });
  remoting_->register_processor(
      static_cast<std::int32_t>(RequestCode::kConsumeMessageDirectly),
      [this](const std::string&, RemotingCommand& request) -> std::optional<RemotingCommand> {
        const auto header = protocol::ConsumeMessageDirectlyResultRequestHeader::decode(request.ext_fields);
        auto target = consumer(header.consumer_group);
        if (!target) {
          return error_response(request, ResponseCode::kSystemError,
                                "The Consumer Group <" + header.consumer_group + "> not exist in this consumer");
        }
        auto message = protocol::decode_message(request.body);
        auto result = target->consume_directly(std::move(message), header.broker_name.value_or(""));
        auto response = RemotingCommand::response_to(request, 0);
        response.body = result.encode();
        return response;
      });
  remoting_->register_processor(
      static_cast<std::int32_t>(RequestCode::kGetConsumerStatusFromClient),
      [this](const std::string&, RemotingCommand& request) -> std::optional<RemotingCommand> {
        const auto header = protocol::GetConsumerStatusRequestHeader::decode(request.ext_fields);
        auto target = consumer(header.group);
        protocol::GetConsumerStatusBody body;
        if (target) {
          for (const auto& [queue, offset] : target->offsets_of(header.topic)) body.message_queue_table[queue] = offset;
        }
        auto response = RemotingCommand::response_to(request, 0);
        response.body = body.encode();
        return response;
      });
}

}  // namespace rocketmq::client
